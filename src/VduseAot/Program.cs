using System;
using System.Reflection;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>Entry point: verb dispatch and the exit-status contract (0 ok, 1 runtime error, 2 usage error).</summary>
public static class Program
{
    /// <summary>Usage text printed by --help.</summary>
    public const string Usage = """
        vduse-blk: serve a virtio-blk disk to the Linux kernel through VDUSE.

        Usage:
          vduse-blk serve --name NAME (--ram SIZE | --file PATH [--size SIZE] [--direct] | --null SIZE | --nbd URI |
                                    --nvme-tcp HOST[:PORT] --nqn NQN) [options]
          vduse-blk list [--state-dir DIR] [--json]
          vduse-blk stats NAME [--state-dir DIR] [--json | --prometheus]
          vduse-blk resize NAME SIZE [--force] [--state-dir DIR] [--json]
          vduse-blk stop NAME [--state-dir DIR]
          vduse-blk upgrade NAME [--binary PATH] [--state-dir DIR]
          vduse-blk --help | --version

        serve options:
          --name NAME                 device name: /dev/vduse/NAME and vdpa device NAME
          --ram SIZE                  serve a RAM disk of SIZE bytes (K, M, G, T suffixes: powers of 1024)
          --file PATH                 serve a regular file or a block device through io_uring
            --size SIZE               capacity; a regular file is created or extended to it
            --direct                  open with O_DIRECT (the page cache is bypassed)
          --null SIZE                 reads return zeroes, writes are dropped (for benchmarks)
          --nbd URI                   serve an NBD export: nbd://HOST[:PORT]/EXPORT (port 10809) or
                                      nbd+unix:///EXPORT?socket=PATH; the size comes from the server
          --nvme-tcp HOST[:PORT]      serve a namespace of an NVMe/TCP subsystem (port 4420), one I/O
                                      queue per virtqueue; the size comes from the controller
            --nqn NQN                 the subsystem's NQN (required)
            --nsid N                  the namespace (default 1)
            --hostnqn NQN             who we are to the subsystem (default: a UUID-based NQN made for
                                      the device and kept in its state file)
            --nvme-digest LIST        header, data, header,data or none (default): CRC32C digests
            --reconnect-timeout SECONDS  (--nbd, --nvme-tcp) how long a request waits for a lost server
                                      before it fails with an I/O error (default 30; 0: at once);
                                      reconnecting goes on
          --queues N                  virtqueues, one thread each (default 1)
          --cpus LIST                 CPUs for the queue threads, e.g. 0-3,6; queue i runs on the
                                      i-th (round robin); default: spread over the allowed CPUs
          --poll-us N                 after the last request, poll the ring for N microseconds with
                                      kicks off before sleeping (default 0: never poll)
          --queue-size N              ring entries per queue, a power of two (default 256)
          --read-only                 offer VIRTIO_BLK_F_RO and refuse writes
          --packed                    offer the packed ring layout (VIRTIO_F_RING_PACKED) besides split
          --logical-block-size 512|4096
          --serial TEXT               GET_ID answer, at most 20 bytes
          --no-attach                 create the VDUSE device but do not attach it to the vDPA bus
          --vhost                     hand the device to vhost_vdpa: ready prints /dev/vhost-vdpa-N, for
                                      a VM (QEMU) or a userspace driver (libblkio); no /dev/vdX here
          --sqpoll                    kernel submission thread per queue (IORING_SETUP_SQPOLL)
          --bounce-size SIZE          VDUSE bounce buffer, 1M to 1G (kernel default 64M; Linux >= 6.5)
          --state-dir DIR             NAME.state (the reconnect journal), NAME.ram (the RAM disk's bytes)
                                      and NAME.sock (the control socket) live here (default
                                      /run/vduse-blk; created 0700, files 0600)
          --force                     take over a device left without a usable state file (requests
                                      it had in flight are lost)
          --handover                  what `upgrade` runs: take the device over from the daemon serving
                                      it, which hands it over on its control socket
          --metrics-listen ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics from a thread
                                      of its own (off by default; 127.0.0.1:9100 or [::1]:9100 keep them
                                      on this host: the endpoint has no authentication)
          --log-level LEVEL           debug, info (default), warn or error: one line per event on stderr,
                                      "vduse-blk[NAME] LEVEL: text"; nothing is logged per request

        Control verbs (through the daemon's control socket; line-delimited JSON, see README):
          list                        devices with a socket in DIR: name, /dev/vdX, uptime, backend
          stats NAME                  per queue and in total: requests by type, bytes, in flight, errors,
                                      latency p50/p90/p99/p99.9/max; GC, RSS and CPU time per request
          resize NAME SIZE            new capacity, a multiple of the logical block size; /dev/vdX changes
                                      size in place; shrinking needs --force; --file grows the file
          stop NAME [--keep]          tear down exactly like SIGTERM (with --keep: like SIGUSR1, leave the
                                      device for the next serve); returns once the daemon is done
          upgrade NAME [--binary PATH]  live upgrade: start PATH (default: this vduse-blk) with the running
                                      daemon's command line plus --handover; it opens its backend, then
                                      the running daemon finishes its requests in flight and hands over
                                      the device, control socket and log; prints upgraded NAME pid N once
                                      the new daemon serves. A new daemon that fails first leaves the
                                      running one serving
          --json                      print the daemon's JSON reply instead of text
          --prometheus                stats only: the Prometheus text format (what --metrics-listen serves)

        Once the block device exists, serve prints one line: ready NAME /dev/vdX
        (with --no-attach: created NAME /dev/vduse/NAME).

        Reconnect: a device outlives its process when the process exits with SIGUSR1 (upgrade) or is
        killed; `serve` with the same name and settings takes it over and resubmits the requests that
        were in flight. Different settings are refused and leave the running device untouched.

        Signals: SIGTERM or SIGINT (or `vduse-blk stop NAME`) detach the disk from the vDPA bus, destroy
        the VDUSE device, remove its state, RAM image and control socket, and exit 0.
        SIGUSR1 (or `vduse-blk stop NAME --keep`) finishes the requests in flight and exits 0, leaving
        the device, the disk and the state for the next `serve` of the name. Under systemd
        (Type=notify, $NOTIFY_SOCKET) READY=1 follows the ready line and STOPPING=1 marks the start of
        the teardown. SIGKILL or a crash leave the device too; the disk's I/O waits for the next serve.
        Exit status: 0 success, 1 runtime error (the message says what to do), 2 usage error; the control
        verbs exit 1 with one line when no daemon answers.
        Needs the kernel modules vduse, vdpa, virtio_vdpa and virtio_blk, and root.
        """;

    /// <summary>Runs the command line and returns the exit status.</summary>
    public static int Main(string[] args)
    {
        StartupClock.Begin();
        try
        {
            return Run(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("vduse-blk: " + e.Message);
            return 2;
        }
        catch (VduseException e)
        {
            Console.Error.WriteLine("vduse-blk: " + e.Message);
            return 1;
        }
    }

    private static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            throw new UsageException("no command given (try: vduse-blk --help)");
        }

        switch (args[0])
        {
            case "--help":
            case "-h":
            case "help":
                Console.Out.Write(Usage);
                Console.Out.WriteLine();
                return 0;
            case "--version":
                Console.Out.WriteLine("vduse-blk " + Version());
                return 0;
            case "serve":
                return ServeCommand.Run(ServeOptions.Parse(args.AsSpan(1).ToArray()));
            case string verb when AdminOptions.IsVerb(verb):
                return AdminCommands.Run(AdminOptions.Parse(verb, args.AsSpan(1).ToArray()), Console.Out);
            default:
                throw new UsageException("unknown command '" + args[0] + "' (try: vduse-blk --help)");
        }
    }

    private static string Version() =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
