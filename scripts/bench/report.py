#!/usr/bin/env python3
"""Host side of `scripts/bench.sh vm`: pull the guest's result blob out of the
console log, take the median of the runs per (job, target), print a markdown
table and write vm-fio.{md,json,svg} (--set file, the default),
vm-fio-nbd.{md,json,svg} (--set nbd) or vm-fio-nvme.{md,json,svg} (--set nvme).

Usage: report.py [--set file|nbd|nvme] --console LOG --config CONFIG --out DIR [--wall SEC] [--note TEXT]...
"""
import argparse
import base64
import gzip
import io
import json
import re
import statistics
import subprocess
import sys
import tarfile
import time

TARGETS = ["vduse", "qsd", "loop"]
LABEL = {"vduse": "vduse-blk", "qsd": "qemu-storage-daemon", "loop": "loop (kernel)", "nbd": "kernel NBD client",
         "nvme": "kernel NVMe/TCP host"}
SHORT = {"vduse": "vduse", "qsd": "qsd", "loop": "loop", "nbd": "kernel", "nvme": "kernel"}
COLOR = {"vduse": "#2b6cb0", "qsd": "#dd6b20", "loop": "#718096", "nbd": "#718096", "nvme": "#718096"}

# What differs between the sets: the third target (the kernel's own device), the files, the words.
SETS = {
    "file": {"targets": ["vduse", "qsd", "loop"], "base": "vm-fio",
             "title": "vduse-blk vs qemu-storage-daemon (vduse-blk export) vs loop"},
    "brd": {"targets": ["vduse", "qsd", "loop"], "base": "vm-fio-brd",
            "title": "O_DIRECT on brd: vduse-blk --file --direct vs qemu-storage-daemon (cache.direct=on) vs loop (direct-io=on)"},
    "nbd": {"targets": ["vduse", "qsd", "nbd"], "base": "vm-fio-nbd",
            "title": "NBD: vduse-blk --nbd vs qemu-storage-daemon (nbd blockdev, vduse-blk export) vs the kernel NBD client"},
    # No qemu-storage-daemon here: QEMU has no NVMe/TCP client. vduse-blk may be missing (not run).
    "nvme": {"targets": ["vduse", "nvme"], "base": "vm-fio-nvme",
             "title": "NVMe/TCP: vduse-blk --nvme-tcp vs the kernel NVMe/TCP host (nvmet target in the guest)"},
}

# The nbd set's targets for the product (vduse-blk must meet them; reported, never enforced here).
NBD_GOALS = [("every 4k job", lambda j: j["bs"] in ("4k", "4K", "4096"), "iops_vduse_over_qsd", 1.5, "qsd"),
             ("4k rand read QD16", lambda j: j["name"] == "randread-4k-qd16", "iops_vduse_over_kernel", 1.0, "kernel")]


# The brd set's targets (issue 17; reported, never enforced here).
BRD_GOALS = [("every 128k job", lambda j: j["bs"] == "128k", "iops_vduse_over_qsd", 1.5, "qsd"),
             ("every 4k job", lambda j: j["bs"] in ("4k", "4K", "4096"), "iops_vduse_over_qsd", 2.5, "qsd"),
             ("every job", lambda j: True, "iops_vduse_over_loop", 0.6, "loop")]
# Issue 17's targets hold for both backing stores: the tmpfs file and brd.
GOALS = {"nbd": (NBD_GOALS, "vduse-blk >= 1.5x qsd IOPS on every 4k job, >= the kernel client on 4k rand read QD16"),
         "brd": (BRD_GOALS, "vduse-blk >= 1.5x qsd IOPS on the 128k jobs, >= 2.5x qsd on every 4k job, >= 0.6x loop on every job"),
         "file": (BRD_GOALS, "vduse-blk >= 1.5x qsd IOPS on the 128k jobs, >= 2.5x qsd on every 4k job, >= 0.6x loop on every job")}

# The --floor targets: the same VDUSE round trip with no I/O behind it (null), and with one copy
# to and from the daemon's own memory (ram: the least a daemon that keeps the bytes does).
FLOORS = ["null", "ram"]


def die(msg):
    print(f"report: {msg}", file=sys.stderr)
    sys.exit(1)


def read_blob(console):
    text = open(console, "rb").read().decode("utf-8", "replace").replace("\r", "\n")
    lines = text.split("\n")
    try:
        begin = max(i for i, l in enumerate(lines) if l.strip() == "=== BENCH DATA BEGIN")
    except ValueError:
        die(f"no '=== BENCH DATA BEGIN' in {console} (guest bench failed?)")
    chunks = []
    for l in lines[begin + 1:]:
        if l.strip() == "=== BENCH DATA END":
            break
        m = re.match(r"^B64:([A-Za-z0-9+/=]*)\s*$", l)
        if m:
            chunks.append(m.group(1))
    else:
        die("no '=== BENCH DATA END' after the data (console cut short?)")
    raw = gzip.decompress(base64.b64decode("".join(chunks)))
    files = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for m in tar.getmembers():
            if m.isfile():
                files[m.name.lstrip("./")] = tar.extractfile(m).read().decode("utf-8", "replace")
    return files


def read_config(path):
    """JOBS lines (name rw bs iodepth numjobs queues [label...]) and KEY=value settings."""
    jobs, settings = [], {}
    text = open(path).read()
    m = re.search(r"^JOBS='(.*?)'$", text, re.S | re.M)
    if not m:
        die(f"no JOBS in {path}")
    for line in m.group(1).splitlines():
        f = line.split()
        if len(f) >= 6:
            jobs.append({"name": f[0], "rw": f[1], "bs": f[2], "iodepth": int(f[3]),
                         "numjobs": int(f[4]), "queues": int(f[5])})
    for k, v in re.findall(r"^([A-Z_]+)='?([^'\n]*)'?$", text, re.M):
        settings[k] = v
    return jobs, settings


def metrics(fio_json, rw):
    d = json.loads(fio_json)
    j = d["jobs"][0]
    side = j["write" if "write" in rw else "read"]
    lat = side["lat_ns"]
    pct = lat.get("percentile") or side.get("clat_ns", {}).get("percentile") or {}
    p99 = pct.get("99.000000")
    return {
        "iops": side["iops"],
        "bw_mib": side["bw_bytes"] / 1048576.0,
        "lat_mean_us": lat["mean"] / 1000.0,
        "lat_p99_us": p99 / 1000.0 if p99 is not None else None,
        "errors": j.get("error", 0),
        "usr_cpu": j.get("usr_cpu"),
        "sys_cpu": j.get("sys_cpu"),
    }


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def fmt_n(x):
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_lat(x):
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 1000 else f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def job_title(j):
    kind = {"randread": "rand read", "randwrite": "rand write", "read": "seq read",
            "write": "seq write"}.get(j["rw"], j["rw"])
    t = f"{j['bs']} {kind} QD{j['iodepth']}"
    if j["numjobs"] > 1:
        t += f" x{j['numjobs']} jobs"
    if j["queues"] > 1:
        t += f", {j['queues']} queues"
    return t


def svg_chart(jobs, title, subtitle, kind):
    cols = 3
    rows = (len(jobs) + cols - 1) // cols
    pw, ph = 300, 230  # panel size
    top, left = 70, 20
    W, H = left * 2 + cols * pw, top + rows * ph + 20
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         f'viewBox="0 0 {W} {H}" font-family="DejaVu Sans, Arial, sans-serif">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="24" font-size="17" text-anchor="middle" font-weight="bold">{esc(title)}</text>',
         f'<text x="{W / 2}" y="43" font-size="11" text-anchor="middle" fill="#444">{esc(subtitle)}</text>']
    lx = W / 2 - 80 * len(TARGETS) + 10
    for i, t in enumerate(TARGETS):
        x = lx + i * 160
        o.append(f'<rect x="{x}" y="52" width="12" height="12" fill="{COLOR[t]}"/>')
        o.append(f'<text x="{x + 17}" y="62" font-size="12">{esc(LABEL[t])}</text>')
    for n, j in enumerate(jobs):
        px = left + (n % cols) * pw
        py = top + (n // cols) * ph
        o.append(f'<text x="{px + pw / 2}" y="{py + 18}" font-size="13" text-anchor="middle" '
                 f'font-weight="bold">{esc(job_title(j))}</text>')
        cell = {t: j["targets"][t] or {"iops": None, "lat_mean_us": None, "lat_p99_us": None} for t in TARGETS}
        vals = [cell[t]["iops"] for t in TARGETS]
        vmax = max([v for v in vals if v] or [1])
        base_y, bar_h = py + ph - 48, ph - 112
        bw, gap, n = 60, 25, len(TARGETS)
        x0 = px + (pw - (n * bw + (n - 1) * gap)) / 2
        o.append(f'<line x1="{x0 - 10}" y1="{base_y}" x2="{x0 + n * bw + (n - 1) * gap + 10}" y2="{base_y}" stroke="#333"/>')
        for i, t in enumerate(TARGETS):
            v = cell[t]["iops"]
            h = 0 if not v else bar_h * v / vmax
            x = x0 + i * (bw + gap)
            o.append(f'<rect x="{x:.1f}" y="{base_y - h:.1f}" width="{bw}" height="{h:.1f}" fill="{COLOR[t]}">'
                     f'<title>{esc(LABEL[t])}: {fmt_n(v)} IOPS</title></rect>')
            o.append(f'<text x="{x + bw / 2:.1f}" y="{base_y - h - 4:.1f}" font-size="11" '
                     f'text-anchor="middle">{fmt_n(v)}</text>')
            lm = cell[t]["lat_mean_us"]
            lp = cell[t]["lat_p99_us"]
            o.append(f'<text x="{x + bw / 2:.1f}" y="{base_y + 15}" font-size="10" text-anchor="middle" '
                     f'fill="#333">{fmt_lat(lm)} µs</text>')
            o.append(f'<text x="{x + bw / 2:.1f}" y="{base_y + 28}" font-size="10" text-anchor="middle" '
                     f'fill="#777">p99 {fmt_lat(lp)}</text>')
        r = j["ratios"].get("iops_vduse_over_qsd")
        rn = j["ratios"].get("iops_vduse_over_kernel") if kind == "nvme" else None
        if rn is not None:
            line = f'vduse/kernel IOPS {rn:.2f}x' + (' (runs overlap)' if j["ratios"].get("iops_kernel_ranges_overlap") else '')
            o.append(f'<text x="{px + pw / 2}" y="{py + 34}" font-size="11" text-anchor="middle" '
                     f'fill="#2b6cb0">{esc(line)}</text>')
        if r is not None:
            line = f'vduse/qsd IOPS {r:.2f}x' + (' (runs overlap)' if j["ratios"].get("iops_ranges_overlap") else '')
            third = SHORT[TARGETS[2]]
            rk = j["ratios"].get(f"iops_vduse_over_{third}") if kind in ("nbd", "brd") else None
            if rk is not None:
                line += f', vduse/{third} {rk:.2f}x'
            o.append(f'<text x="{px + pw / 2}" y="{py + 34}" font-size="11" text-anchor="middle" '
                     f'fill="#2b6cb0">{esc(line)}</text>')
    o.append(f'<text x="{left}" y="{H - 6}" font-size="10" fill="#777">bars: median IOPS; '
             f'below: median mean latency, median p99 latency</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def aggregate(files, j, t, runs):
    """Medians (and min..max IOPS) of target t's runs of job j; dies on a missing or failed run."""
    per_run = []
    for r in range(1, runs + 1):
        f = files.get(f"{j['name']}.{t}.{r}.json")
        if f is None:
            die(f"missing result {j['name']}.{t}.{r}.json")
        m = metrics(f, j["rw"])
        if m["errors"]:
            die(f"{j['name']}.{t}.{r}: fio error {m['errors']}")
        m["run"] = r
        per_run.append(m)
    return {
        "iops": med(m["iops"] for m in per_run),
        "bw_mib": med(m["bw_mib"] for m in per_run),
        "lat_mean_us": med(m["lat_mean_us"] for m in per_run),
        "lat_p99_us": med(m["lat_p99_us"] for m in per_run),
        "iops_min": min(m["iops"] for m in per_run),
        "iops_max": max(m["iops"] for m in per_run),
        "runs": per_run,
    }


def paired(a, b):
    """Median, min and max of a's IOPS over b's run by run: a run's two targets ran back to back, so
    their ratio shows little of the host's drift between runs, which a ratio of medians keeps."""
    if not a or not b:
        return None
    rs = [x["iops"] / y["iops"] for x, y in zip(a["runs"], b["runs"]) if x["iops"] and y["iops"]]
    return {"median": med(rs), "min": min(rs), "max": max(rs), "n": len(rs)} if rs else None


def paired_md(jobs, peers):
    """The section of run-by-run ratios vduse-blk/peer for each job (and into each job's ratios)."""
    md = ["", "## Paired ratios (run by run)", "",
          "IOPS of vduse-blk over each peer within one run (the targets of a run follow each other), then the "
          "median and range over the runs: the host's speed drifts between runs more than within one.", "",
          "| job | " + " | ".join(f"vduse/{SHORT[t]} median (min..max)" for t in peers) + " |",
          "|---|" + "--:|" * len(peers)]
    for j in jobs:
        cells = []
        for t in peers:
            pr = paired(j["targets"]["vduse"], j["targets"][t])
            j["ratios"][f"paired_iops_vduse_over_{SHORT[t]}"] = pr
            cells.append("-" if pr is None else f"{pr['median']:.2f} ({pr['min']:.2f}..{pr['max']:.2f})")
        md.append(f"| {job_title(j)} | " + " | ".join(cells) + " |")
    return md


def overlap(a, b):
    """The two targets' min..max IOPS ranges overlap: the runs do not separate them."""
    return a["iops_min"] <= b["iops_max"] and b["iops_min"] <= a["iops_max"]


def daemon_accounting(files):
    """vduse-blk's own exit lines, and CPU ticks / device I/Os read in the guest just before each
    daemon was stopped."""
    exit_lines = []
    for name in sorted(files):
        if name.startswith("vduse-blk.p") and name.endswith(".err"):
            for l in files[name].splitlines():
                if "served " in l:
                    exit_lines.append(l.strip())
    daemons = []
    for l in files.get("daemons.txt", "").splitlines():
        kv = dict(x.split("=", 1) for x in l.split()[1:])
        ticks, ios = int(kv["cpu_ticks"]), int(kv["dev_ios"])
        daemons.append({"daemon": l.split()[0], "phase": int(kv["phase"]), "queues": int(kv["queues"]),
                        "cpu_s": ticks / 100.0, "dev_ios": ios,
                        "cpu_us_per_io": ticks * 10000.0 / ios if ios else None, "rc": int(kv["rc"])})
    return exit_lines, daemons


def cpu_per_io(files, jobs):
    """CPU per run (the nbd and nvme sets record it): ticks of 10 ms over the fio run, per device
    I/O; the median over runs goes into each target's cpu_us_per_io. Returns whether any was found."""
    cpu = {}
    for l in files.get("cpu.txt", "").splitlines():
        f = l.split()
        if len(f) < 4:
            continue
        kv = dict(x.split("=", 1) for x in f[3:])
        ios = int(kv["dev_ios"])
        if ios:
            cpu.setdefault((f[0], f[1]), []).append(
                {k: int(kv[k]) * 10000.0 / ios for k in ("guest_ticks", "server_ticks", "daemon_ticks")})
    for j in jobs:
        for t in TARGETS:
            runs_cpu = cpu.get((j["name"], t))
            if runs_cpu and j["targets"][t] is not None:
                j["targets"][t]["cpu_us_per_io"] = {k: med(r[k] for r in runs_cpu) for k in runs_cpu[0]}
    return bool(cpu)


def floor_note(j, key, got, want):
    """For a target missed: whether the floors (when they ran) reach it."""
    null, ram = (j["ratios"].get(key.replace("_vduse_", f"_{f}_")) for f in FLOORS)
    if got >= want or null is None or ram is None:
        return ""
    if null < want:
        return f"; --null gets {null:.2f}: no VDUSE daemon reaches the target in this guest"
    if ram < want and got >= ram:
        return f"; --ram gets {ram:.2f} (less than vduse-blk: no ceiling here), --null {null:.2f}"
    if ram < want:
        return (f"; --ram gets {ram:.2f}, --null {null:.2f}: out of reach for a VDUSE daemon that copies "
                "the bytes once in this guest")
    return f"; --ram gets {ram:.2f}, --null {null:.2f}: reachable"


def floor_md(jobs, third):
    """The --floor targets' table: what the VDUSE round trip gets alone and with one copy, against the peers."""
    if not all("floors" in j for j in jobs):
        return []
    doc = ["", "## Floors: the VDUSE round trip alone, and with one copy", "",
           "Two more vduse-blk daemons in the same runs, through the same guest driver, VDUSE bounce buffer and "
           "interrupt injection, one queue thread each: `serve --null SIZE` does no I/O (reads are zeroes written "
           "into the bounce buffer, writes are dropped): no VDUSE daemon gets more; `serve --ram SIZE`, its image "
           "on the guest's /tmp tmpfs beside the file set's images and written once before the jobs, copies each request once between the bounce buffer and its own memory: the least "
           "a daemon that keeps the bytes does (loop moves them once as well; VDUSE's bounce buffer costs a copy "
           "more).", "",
           f"| job | null IOPS | ram IOPS | null/qsd | ram/qsd | null/{third} | ram/{third} | vduse-blk/ram "
           "| mean lat µs null / ram |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for j in jobs:
        n, m, r = j["floors"]["null"], j["floors"]["ram"], j["ratios"]
        doc.append(f"| {job_title(j)} | {fmt_n(n['iops'])} | {fmt_n(m['iops'])} | {r['iops_null_over_qsd']:.2f} "
                   f"| {r['iops_ram_over_qsd']:.2f} | {r[f'iops_null_over_{third}']:.2f} | {r[f'iops_ram_over_{third}']:.2f} "
                   f"| {r['iops_vduse_over_ram']:.2f} | {fmt_lat(n['lat_mean_us'])} / {fmt_lat(m['lat_mean_us'])} |")
    return doc


def daemon_cost_md(exit_lines, daemons):
    doc = ["", "## Daemon cost", "", "vduse-blk exit accounting:", "", "```"] + exit_lines + ["```", "",
           "CPU of each daemon process (utime+stime from /proc, read just before stopping it; "
           "I/Os as counted by the guest block layer for its disk):", "",
           "| daemon | queues | CPU s | device I/Os | CPU µs per I/O |", "|---|--:|--:|--:|--:|"]
    for d in daemons:
        doc.append(f"| {d['daemon']} | {d['queues']} | {d['cpu_s']:.1f} | {d['dev_ios']:,} | "
                   f"{d['cpu_us_per_io']:.1f} |" if d["cpu_us_per_io"] is not None else
                   f"| {d['daemon']} | {d['queues']} | {d['cpu_s']:.1f} | {d['dev_ios']} | - |")
    doc.append("")
    return doc


def print_accounting(exit_lines, daemons):
    print(f"\nvduse-blk exit accounting:\n  " + "\n  ".join(exit_lines or ["(none found)"]))
    for d in daemons:
        cpi = f"{d['cpu_us_per_io']:.1f}" if d["cpu_us_per_io"] is not None else "-"
        print(f"  {d['daemon']}: {d['queues']} queue(s), CPU {d['cpu_s']:.1f} s for {d['dev_ios']} I/Os ({cpi} us per I/O)")


# The static binary's lowest LOAD address: perf reports its user samples relative to it.
STATIC_BASE = 0x400000


def user_functions(text, symbols, top=15):
    """vduse-blk's samples by address (perf report --dsos vduse-blk --sort sym) folded into functions,
    named from the binary's debug file with addr2line; [] without one."""
    rows = [(float(m.group(1)), int(m.group(2), 16))
            for m in re.finditer(r"^\s*([0-9.]+)%\s+\[\.\]\s+0x([0-9a-f]+)\s*$", text, re.M)]
    if not rows or not symbols:
        return []
    out = subprocess.run(["addr2line", "-f", "-e", symbols] + [hex(a + STATIC_BASE) for _, a in rows],
                         capture_output=True, text=True, check=False).stdout.splitlines()
    names = out[0::2]
    if len(names) != len(rows):
        return []
    total = {}
    for (pct, _), name in zip(rows, names):
        total[name] = total.get(name, 0.0) + pct
    ranked = sorted(total.items(), key=lambda kv: -kv[1])[:top]
    return [f"    {pct:6.2f}%  {name}" for name, pct in ranked]


def profiles_md(files, symbols=None):
    """The --profile runs: perf's flat profiles of the whole guest, one per (job, target), the run's
    counters per I/O, and vduse-blk's own samples by function where its debug file is at hand."""
    names = sorted(n for n in files if n.endswith(".profile.txt"))
    if not names:
        return []
    md = ["", "## Profiles", "",
          "One more run per (job, target) after the measured ones, with `perf record -a -e cpu-clock -F 499` "
          "over the whole guest (TCG has no PMU: samples are timer ticks, so a percentage is a share of all "
          "vCPU time, idle included as `swapper`; code that runs with interrupts off is charged to where it "
          "turns them on again, such as `_raw_spin_unlock_irqrestore`). Per device I/O: the guest's "
          "interrupts and context switches over the run, and the daemon's syscalls (`perf stat`, from a "
          "little before the run: an upper bound) and CPU time. vduse-blk's userspace samples are named "
          "from its debug file on the host; qsd's carry no symbols.", ""]
    for n in names:
        lines = [l.rstrip() for l in files[n].splitlines()]
        user = user_functions(files.get(n.replace(".profile.txt", ".usersyms.txt"), ""), symbols)
        if user:
            lines += [f"## {n.replace('.profile.txt', '').replace('.', ' on ', 1)}: vduse-blk's userspace samples by function (share of all samples)"] + user
        md += ["```"] + lines + ["```", ""]
    return md


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=sorted(SETS), default="file")
    ap.add_argument("--console", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--wall", type=float)
    ap.add_argument("--symbols", help="vduse-blk's debug file (names its userspace samples in the profiles)")
    ap.add_argument("--note", action="append", default=[])
    a = ap.parse_args()

    global TARGETS
    kind = a.set
    TARGETS = SETS[kind]["targets"]
    files = read_blob(a.console)
    jobs, settings = read_config(a.config)
    runs = int(settings.get("RUNS", "3"))
    env = dict(re.findall(r"^(\w+)=(.*)$", files.get("env.txt", ""), re.M))
    if kind == "nvme":
        return report_nvme(a, files, jobs, settings, env, runs)

    for j in jobs:
        j["targets"] = {t: aggregate(files, j, t, runs) for t in TARGETS}
        tv, tq, tl = (j["targets"][t] for t in TARGETS)
        j["ratios"] = {
            "iops_vduse_over_qsd": ratio(tv["iops"], tq["iops"]),
            "lat_mean_vduse_over_qsd": ratio(tv["lat_mean_us"], tq["lat_mean_us"]),
            "lat_p99_vduse_over_qsd": ratio(tv["lat_p99_us"], tq["lat_p99_us"]),
            f"iops_vduse_over_{SHORT[TARGETS[2]]}": ratio(tv["iops"], tl["iops"]),
            "iops_ranges_overlap": overlap(tv, tq),
        }
        if kind in ("nbd", "brd"):
            j["ratios"]["iops_kernel_ranges_overlap"] = overlap(tv, tl)
        ran = env.get("targets", "").split()
        if all(f in ran for f in FLOORS):
            j["floors"] = {f: aggregate(files, j, f, runs) for f in FLOORS}
            for f, tf in j["floors"].items():
                j["ratios"].update({f"iops_{f}_over_qsd": ratio(tf["iops"], tq["iops"]),
                                    f"iops_{f}_over_{SHORT[TARGETS[2]]}": ratio(tf["iops"], tl["iops"]),
                                    f"iops_vduse_over_{f}": ratio(tv["iops"], tf["iops"])})

    exit_lines, daemons = daemon_accounting(files)
    cpu = cpu_per_io(files, jobs)

    where = {"file": f"{settings.get('SIZE_MB')} MiB tmpfs file per target",
             "brd": f"one {settings.get('SIZE_MB')} MiB brd RAM disk per target, written once",
             "nbd": f"one {settings.get('SIZE_MB')} MiB nbdkit memory export on 127.0.0.1"}[kind]
    subtitle = (f"QEMU TCG guest, {env.get('cpus', '?')} vCPUs, kernel {env.get('kernel', '?')}; "
                f"{env.get('fio_version', 'fio')} libaio direct=1; {where}; "
                f"median of {runs} x {settings.get('RUNTIME')} s")
    title = SETS[kind]["title"]

    # --- markdown -------------------------------------------------------------------------
    md = []
    third = SHORT[TARGETS[2]]
    if kind == "file":
        md.append("| job | vduse-blk IOPS | qsd IOPS | loop IOPS | IOPS vduse/qsd | mean lat µs vduse / qsd / loop "
                  "| p99 lat µs vduse / qsd / loop | lat vduse/qsd mean, p99 |")
        md.append("|---|--:|--:|--:|--:|--:|--:|--:|")
    else:
        md.append(f"| job | vduse-blk IOPS | qsd IOPS | {third} IOPS | IOPS vduse/qsd | IOPS vduse/{third} "
                  f"| mean lat µs vduse / qsd / {third} | p99 lat µs vduse / qsd / {third} | lat vduse/qsd mean, p99 |")
        md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for j in jobs:
        tv, tq, tl = (j["targets"][t] for t in TARGETS)
        r = j["ratios"]
        latr = "-"
        if r["lat_mean_vduse_over_qsd"] is not None:
            latr = f"{r['lat_mean_vduse_over_qsd']:.2f}, {r['lat_p99_vduse_over_qsd']:.2f}" \
                if r["lat_p99_vduse_over_qsd"] is not None else f"{r['lat_mean_vduse_over_qsd']:.2f}"
            if j["iodepth"] == 1 and j["numjobs"] == 1:
                latr = f"**{latr}**"
        bw = ""
        if j["bs"] not in ("4k", "4K", "4096"):
            bw = " (" + " / ".join(f"{j['targets'][t]['bw_mib']:,.0f}" for t in TARGETS) + " MiB/s)"
        mark = " †" if r["iops_ranges_overlap"] else ""
        kcol = ""
        if kind in ("nbd", "brd"):
            kr = r[f"iops_vduse_over_{third}"]
            kcol = (f"| **{kr:.2f}**" + (" †" if r["iops_kernel_ranges_overlap"] else "") + " ") if kr is not None else "| - "
        md.append(f"| {job_title(j)}{bw} | {fmt_n(tv['iops'])} | {fmt_n(tq['iops'])} | {fmt_n(tl['iops'])} "
                  f"| **{r['iops_vduse_over_qsd']:.2f}**{mark} {kcol}"
                  f"| {fmt_lat(tv['lat_mean_us'])} / {fmt_lat(tq['lat_mean_us'])} / {fmt_lat(tl['lat_mean_us'])} "
                  f"| {fmt_lat(tv['lat_p99_us'])} / {fmt_lat(tq['lat_p99_us'])} / {fmt_lat(tl['lat_p99_us'])} "
                  f"| {latr} |")
    if kind == "file" and any(j["ratios"]["iops_ranges_overlap"] for j in jobs):
        md.append("")
        md.append("† vduse-blk's and qsd's IOPS ranges over the runs overlap: the runs do not separate them.")
    if kind in ("nbd", "brd") and any(j["ratios"]["iops_ranges_overlap"] or j["ratios"]["iops_kernel_ranges_overlap"] for j in jobs):
        md.append("")
        md.append("† the two targets' IOPS ranges over the runs overlap: the runs do not separate them.")
    goals = []
    if kind in GOALS:
        for what, applies, key, want, peer in GOALS[kind][0]:
            for j in jobs:
                if applies(j) and j["ratios"].get(key) is not None:
                    got = j["ratios"][key]
                    goals.append(f"- {'met' if got >= want else 'NOT MET'}: {job_title(j)}: vduse-blk/{peer} IOPS "
                                 f"{got:.2f} (target >= {want:g}, {what})" + floor_note(j, key, got, want))
        md += ["", f"Targets ({GOALS[kind][1]}):", ""]
        md += goals
    table = "\n".join(md)
    print(table)

    if kind == "nbd":
        peer = (f"- Server: {env.get('nbdkit_version', 'nbdkit')} (Debian trixie), `nbdkit -f -i 127.0.0.1 -p 10809 memory "
                f"{settings.get('SIZE_MB')}M` in the guest, every page written once before the jobs "
                "(fio 1M sequential writes through the kernel client); it shares the guest's vCPUs with the clients.")
        peer2 = (f"- Peer: {env.get('qsd_version', 'qemu-storage-daemon')} (Debian trixie), "
                 "`--blockdev driver=nbd,node-name=f,server.type=inet,server.host=127.0.0.1,server.port=10809 "
                 f"--export type=vduse-blk,...,num-queues=N,queue-size={settings.get('QUEUE_SIZE')},writable=on` "
                 "(QEMU's NBD client: one connection, whatever the queue count), attached with `vdpa dev add name X mgmtdev vduse`.")
        ours = (f"- Ours: `vduse-blk serve --nbd nbd://127.0.0.1:10809/ --queues N --queue-size {settings.get('QUEUE_SIZE')}"
                + (f" {settings.get('VDUSE_ARGS')}" if settings.get("VDUSE_ARGS") else "") + "` (one connection per queue). "
                "Kernel: `nbd-client 127.0.0.1 10809 /dev/nbd0 -N '' -C N` (one connection per hardware queue; the server "
                "allows multi-conn), scheduler set to none like the virtio disks'.")
    elif kind == "brd":
        peer = None
        peer2 = (f"- Peer: {env.get('qsd_version', 'qemu-storage-daemon')} (Debian trixie), "
                 f"`--blockdev driver=host_device,filename=/dev/ram1,cache.direct=on,aio={settings.get('QSD_AIO')} "
                 f"--export type=vduse-blk,...,num-queues=N,queue-size={settings.get('QUEUE_SIZE')},writable=on`, "
                 f"attached with `vdpa dev add name X mgmtdev vduse`.")
        ours = (f"- Ours: `vduse-blk serve --file /dev/ram0 --direct --queues N --queue-size {settings.get('QUEUE_SIZE')}"
                + (f" {settings.get('VDUSE_ARGS')}" if settings.get("VDUSE_ARGS") else "") + "`. "
                "Baseline: `losetup --direct-io=on /dev/ram2`. Each target has its own RAM disk of the same size.")
    else:
        peer = None
        peer2 = (f"- Peer: {env.get('qsd_version', 'qemu-storage-daemon')} (Debian trixie), "
                 f"`--blockdev driver=file,...,cache.direct=off"
                 + (f",aio={settings.get('QSD_AIO')}" if settings.get("QSD_AIO", "threads") != "threads" else "")
                 + f" --export type=vduse-blk,...,num-queues=N,queue-size={settings.get('QUEUE_SIZE')},writable=on`, "
                 f"attached with `vdpa dev add name X mgmtdev vduse`.")
        ours = (f"- Ours: `vduse-blk serve --file IMG --queues N --queue-size {settings.get('QUEUE_SIZE')}"
                + (f" {settings.get('VDUSE_ARGS')}" if settings.get("VDUSE_ARGS") else "") + "`. "
                f"Baseline: `losetup --direct-io=off` over the same kind of tmpfs file.")
    doc = [f"# VM fio: {title}", "",
           f"Generated by `scripts/bench.sh vm{'' if kind == 'file' else ' --set ' + kind}` on {time.strftime('%Y-%m-%d %H:%M %Z')}"
           + (f" (total wall time {a.wall:.0f} s)" if a.wall else "") + ".", "",
           f"- Guest: {subtitle}."] + ([peer] if peer else []) + [peer2, ours,
           "- Each (job, target) ran "
           f"{runs} times, interleaved per job (the starting target rotates every run); "
           f"fio `--time_based --runtime={settings.get('RUNTIME')} --ramp_time={settings.get('RAMP')} "
           "--lat_percentiles=1`; numbers are medians. Latency is fio's total latency (submission to completion).",
           f"- Ratios: IOPS vduse/qsd{' and vduse/' + SHORT[TARGETS[2]] if kind in ('nbd', 'brd') else ''} > 1 and latency vduse/qsd < 1 favour vduse-blk. "
           "TCG emulation makes absolute numbers meaningless; only the ratios measured in the same VM are.",
           ]
    for n in a.note:
        doc.append(f"- {n}")
    base = SETS[kind]["base"]
    doc += ["", table, "", f"![chart]({base}.svg)", "", "## Spread (IOPS min..max over runs)", "",
            "| job | " + " | ".join(LABEL[t] for t in TARGETS) + " |", "|---|--:|--:|--:|"]
    for j in jobs:
        doc.append(f"| {job_title(j)} | " + " | ".join(
            f"{fmt_n(j['targets'][t]['iops_min'])}..{fmt_n(j['targets'][t]['iops_max'])}" for t in TARGETS) + " |")
    doc += paired_md(jobs, TARGETS[1:])
    if kind == "nbd" and cpu:
        doc += ["", "## CPU per I/O (median over runs)", "",
                "Busy CPU over each fio run (ramp included) per I/O the guest block layer completed, in µs: the whole guest "
                "(fio, the client, the server, interrupts), the nbdkit process, and the client's own process "
                "(the kernel client has none: its work is in the guest total).", "",
                "| job | " + " | ".join(f"{LABEL[t]}: guest / server / client" for t in TARGETS) + " |",
                "|---|--:|--:|--:|"]
        for j in jobs:
            cells = []
            for t in TARGETS:
                c = j["targets"][t].get("cpu_us_per_io")
                cells.append("-" if not c else f"{c['guest_ticks']:.0f} / {c['server_ticks']:.0f} / "
                             + ("-" if t == "nbd" else f"{c['daemon_ticks']:.0f}"))
            doc.append(f"| {job_title(j)} | " + " | ".join(cells) + " |")
    threads = [l.strip() for l in files.get("threads.txt", "").splitlines() if l.strip()]
    if kind == "nbd" and threads:
        doc += ["", "## CPU by thread", "",
                "Ticks of 10 ms per thread (total, user space, kernel), read just before each process stopped "
                "(nbdkit: at the end, fill included; qemu-storage-daemon and nbdkit show as ld-linux-x86-64, "
                "the loader their wrappers start them with):", "",
                "```"] + threads + ["```"]
    devs = [l.strip() for l in files.get("devices.txt", "").splitlines() if l.strip()]
    if devs:
        doc += ["", "## Guest block devices", "", "```"] + devs + ["```"]
    doc += floor_md(jobs, third)
    doc += profiles_md(files, a.symbols)
    doc += daemon_cost_md(exit_lines, daemons)

    out = a.out.rstrip("/")
    open(f"{out}/{base}.md", "w").write("\n".join(doc))
    extra = {"set": kind, "targets_check": goals, "threads": threads} if kind in GOALS else {}
    json.dump({"title": title, "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "wall_s": a.wall,
               "settings": settings, "guest": env, "notes": a.note, "jobs": jobs,
               "vduse_exit_lines": exit_lines, "daemons": daemons, **extra},
              open(f"{out}/{base}.json", "w"), indent=1)
    open(f"{out}/{base}.svg", "w").write(svg_chart(jobs, title, subtitle, kind))
    print_accounting(exit_lines, daemons)
    print(f"\nwrote {out}/{base}.md, {out}/{base}.json, {out}/{base}.svg")


def report_nvme(a, files, jobs, settings, env, runs):
    """The nvme set: vduse-blk (when it ran) against the kernel NVMe/TCP host on one nvmet target."""
    ran = env.get("targets", "vduse nvme").split()
    skipped = files.get("vduse-skip.txt", "").strip()
    if "nvme" not in ran:
        die("the nvme set ran without the kernel NVMe/TCP host")
    for j in jobs:
        j["targets"] = {t: aggregate(files, j, t, runs) if t in ran else None for t in TARGETS}
        tv, tk = j["targets"]["vduse"], j["targets"]["nvme"]
        j["ratios"] = {
            "iops_vduse_over_kernel": ratio(tv["iops"], tk["iops"]) if tv else None,
            "lat_mean_vduse_over_kernel": ratio(tv["lat_mean_us"], tk["lat_mean_us"]) if tv else None,
            "lat_p99_vduse_over_kernel": ratio(tv["lat_p99_us"], tk["lat_p99_us"]) if tv else None,
            "iops_kernel_ranges_overlap": overlap(tv, tk) if tv else None,
        }
    exit_lines, daemons = daemon_accounting(files)
    cpu = cpu_per_io(files, jobs)
    subtitle = (f"QEMU TCG guest, {env.get('cpus', '?')} vCPUs, kernel {env.get('kernel', '?')}; "
                f"{env.get('fio_version', 'fio')} libaio direct=1; one {settings.get('SIZE_MB')} MiB nvmet "
                f"brd namespace on 127.0.0.1:4420; median of {runs} x {settings.get('RUNTIME')} s")
    title = SETS["nvme"]["title"]

    def cell(t, key, fmt):
        return fmt(j["targets"][t][key]) if j["targets"][t] else "-"

    md = ["| job | vduse-blk IOPS | kernel IOPS | IOPS vduse/kernel | mean lat µs vduse / kernel "
          "| p99 lat µs vduse / kernel | lat vduse/kernel mean, p99 |", "|---|--:|--:|--:|--:|--:|--:|"]
    for j in jobs:
        r = j["ratios"]
        kr = "-" if r["iops_vduse_over_kernel"] is None else \
            f"**{r['iops_vduse_over_kernel']:.2f}**" + (" †" if r["iops_kernel_ranges_overlap"] else "")
        latr = "-"
        if r["lat_mean_vduse_over_kernel"] is not None:
            latr = f"{r['lat_mean_vduse_over_kernel']:.2f}" + (
                f", {r['lat_p99_vduse_over_kernel']:.2f}" if r["lat_p99_vduse_over_kernel"] is not None else "")
        bw = ""
        if j["bs"] not in ("4k", "4K", "4096"):
            bw = " (" + " / ".join(cell(t, "bw_mib", lambda x: f"{x:,.0f}") for t in TARGETS) + " MiB/s)"
        md.append(f"| {job_title(j)}{bw} | {cell('vduse', 'iops', fmt_n)} | {cell('nvme', 'iops', fmt_n)} | {kr} "
                  f"| {cell('vduse', 'lat_mean_us', fmt_lat)} / {cell('nvme', 'lat_mean_us', fmt_lat)} "
                  f"| {cell('vduse', 'lat_p99_us', fmt_lat)} / {cell('nvme', 'lat_p99_us', fmt_lat)} | {latr} |")
    if any(j["ratios"]["iops_kernel_ranges_overlap"] for j in jobs):
        md += ["", "† the two targets' IOPS ranges over the runs overlap: the runs do not separate them."]
    if skipped:
        md += ["", f"vduse-blk {skipped}: the kernel column only."]
    table = "\n".join(md)
    print(table)

    ours = (f"- Ours: `vduse-blk serve --nvme-tcp 127.0.0.1:4420 --nqn NQN --queues N --queue-size "
            f"{settings.get('QUEUE_SIZE')}" + (f" {settings.get('VDUSE_ARGS')}" if settings.get("VDUSE_ARGS") else "")
            + "`" + (f" ({skipped})" if skipped else "") + ". Kernel: the NVMe/TCP host through "
            "`/dev/nvme-fabrics`, `transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=NQN,nr_io_queues=N`, on the "
            "subsystem's multipath head disk; its path disk's scheduler set to none like the virtio disks'.")
    doc = [f"# VM fio: {title}", "",
           f"Generated by `scripts/bench.sh vm --set nvme{' --kernel-only' if settings.get('SKIP_VDUSE') == '1' else ''}` "
           f"on {time.strftime('%Y-%m-%d %H:%M %Z')}" + (f" (total wall time {a.wall:.0f} s)" if a.wall else "") + ".", "",
           f"- Guest: {subtitle}.",
           f"- Target: the guest kernel's nvmet (nvmet_tcp) on 127.0.0.1:4420, one subsystem whose namespace is a "
           f"{settings.get('SIZE_MB')} MiB brd RAM disk, every page written once before the jobs; it shares the "
           "guest's vCPUs with the hosts. No qemu-storage-daemon column: QEMU has no NVMe/TCP client.",
           ours,
           f"- Each (job, target) ran {runs} times, interleaved per job (the starting target rotates every run); "
           f"fio `--time_based --runtime={settings.get('RUNTIME')} --ramp_time={settings.get('RAMP')} "
           "--lat_percentiles=1`; numbers are medians. Latency is fio's total latency (submission to completion).",
           "- Ratios: IOPS vduse/kernel > 1 and latency vduse/kernel < 1 favour vduse-blk. TCG emulation makes "
           "absolute numbers meaningless; only the ratios measured in the same VM are."]
    doc += [f"- {n}" for n in a.note]
    base = SETS["nvme"]["base"]
    doc += ["", table, "", f"![chart]({base}.svg)", "", "## Spread (IOPS min..max over runs)", "",
            "| job | " + " | ".join(LABEL[t] for t in TARGETS) + " |", "|---|--:|--:|"]
    for j in jobs:
        doc.append(f"| {job_title(j)} | " + " | ".join(
            f"{fmt_n(j['targets'][t]['iops_min'])}..{fmt_n(j['targets'][t]['iops_max'])}" if j["targets"][t] else "-"
            for t in TARGETS) + " |")
    doc += paired_md(jobs, ["nvme"])
    if cpu:
        doc += ["", "## CPU per I/O (median over runs)", "",
                "Busy CPU over each fio run (ramp included) per I/O the guest block layer completed, in µs: the whole "
                "guest (fio, the host, the target, interrupts) and vduse-blk's own process (the kernel host and the "
                "target have none: their work is in the guest total).", "",
                "| job | " + " | ".join(f"{LABEL[t]}: guest / daemon" for t in TARGETS) + " |", "|---|--:|--:|"]
        for j in jobs:
            cells = []
            for t in TARGETS:
                c = (j["targets"][t] or {}).get("cpu_us_per_io")
                cells.append("-" if not c else f"{c['guest_ticks']:.0f} / "
                             + ("-" if t == "nvme" else f"{c['daemon_ticks']:.0f}"))
            doc.append(f"| {job_title(j)} | " + " | ".join(cells) + " |")
    threads = [l.strip() for l in files.get("threads.txt", "").splitlines() if l.strip()]
    if threads:
        doc += ["", "## CPU by thread", "", "Ticks of 10 ms per vduse-blk thread (total, user space, kernel), "
                "read just before it stopped:", "", "```"] + threads + ["```"]
    devs = [l.strip() for l in files.get("devices.txt", "").splitlines() if l.strip()]
    if devs:
        doc += ["", "## Guest block devices", "", "```"] + devs + ["```"]
    if exit_lines or daemons:
        doc += daemon_cost_md(exit_lines, daemons)
    else:
        doc.append("")

    out = a.out.rstrip("/")
    open(f"{out}/{base}.md", "w").write("\n".join(doc))
    json.dump({"title": title, "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "wall_s": a.wall,
               "settings": settings, "guest": env, "notes": a.note, "set": "nvme", "targets_run": ran,
               "vduse_skipped": skipped or None, "jobs": jobs, "vduse_exit_lines": exit_lines,
               "daemons": daemons, "threads": threads},
              open(f"{out}/{base}.json", "w"), indent=1)
    open(f"{out}/{base}.svg", "w").write(svg_chart(jobs, title, subtitle, "nvme"))
    print_accounting(exit_lines, daemons)
    print(f"\nwrote {out}/{base}.md, {out}/{base}.json, {out}/{base}.svg")


if __name__ == "__main__":
    main()
