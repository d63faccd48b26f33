#!/bin/sh
# A VM booted with its disk on vduse-blk through vhost-vdpa, as a storage host gives VMs their disks:
# `serve --vhost` over a file, then Debian trixie's qemu-system-x86_64 (TCG, inside this TCG guest)
# boots this guest's own kernel with `-blockdev driver=virtio-blk-vhost-vdpa` (libblkio) behind a
# virtio-blk-pci device and memfd guest memory shared with the device. Inside the nested VM, a
# busybox init checks the disk's size and the sha256 of a pattern written before boot, runs fio
# (4k random writes with crc32c verify, libaio, O_DIRECT) and writes a marker with fsync; after it
# powers off, the marker is in the backing file and the daemon counted no error. Nothing is
# optional: a missing qemu-system-x86_64, firmware, kernel or module fails the scenario.
#
# Manual: the nested kernel boots in 100 to 350 s of TCG inside TCG here (no KVM on the host, and
# KVM on QEMU's emulated SVM inside the guest never got past the firmware), which the suite's time
# budget cannot carry. Run it by name, with room for the slow case:
#   scripts/vm/run.sh --binary artifacts/vduse-blk --scenarios 97-vhost-nested-vm --smp 4 --scenario-timeout 1200
# vmtest: manual
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /scenarios/lib.sh

QEMU_SYSTEM=/usr/bin/qemu-system-x86_64
need_tool "$QEMU_SYSTEM"
for f in /boot/vmlinuz /usr/share/qemu/qboot.rom /usr/share/qemu/linuxboot_dma.bin /lib/modules-vm/virtio_blk.ko; do
    [ -f "$f" ] || fail "$f missing from the initramfs: scripts/vm/run.sh stages QEMU, its firmware and the kernel only for a run that names 97-vhost-nested-vm"
done
load_vhost_vdpa

img=/tmp/vt97.img inner=/tmp/vt97-inner console=/tmp/vt97.console
CLEANUP_AFTER="rm -rf $img $inner $inner.cpio"
dd if=/dev/urandom of="$img" bs=1M count=1 status=none
dd if=/dev/zero of="$img" bs=1M count=0 seek=64 status=none
head_sha=$(dd if="$img" bs=1M count=1 status=none | sha256sum | cut -d' ' -f1)
start_daemon vt97 --file "$img" --queues 2 --vhost

# --- the nested VM's initramfs, from this guest's own busybox, fio and virtio_blk -----------------
mkdir -p "$inner/bin" "$inner/proc" "$inner/sys" "$inner/dev" "$inner/tmp" "$inner/usr/bin"
cp /bin/busybox "$inner/bin/busybox"
for a in sh mount insmod dd sha256sum cut cat grep sed sleep sync poweroff; do ln -s busybox "$inner/bin/$a"; done
cp /lib/modules-vm/virtio_blk.ko "$inner/virtio_blk.ko"
cp /usr/bin/fio "$inner/usr/bin/fio"
# fio's shared libraries and loader, at their paths, as the loader resolves them here.
/lib64/ld-linux-x86-64.so.2 --list /usr/bin/fio | while read -r line; do
    case "$line" in
        *'=> /'*) lib=${line#*=> } ;;
        /*) lib=$line ;;
        *) continue ;;
    esac
    lib=${lib%% (*}
    mkdir -p "$inner${lib%/*}"
    cp -L "$lib" "$inner$lib"
done
cat >"$inner/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
read -r up _ </proc/uptime
echo "NESTED: booted $up"
insmod /virtio_blk.ko
i=0
while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
echo "NESTED: size $(cat /sys/block/vda/size 2>/dev/null || echo none)"
echo "NESTED: head $(dd if=/dev/vda bs=1M count=1 2>/dev/null | sha256sum | cut -d' ' -f1)"
rc=0
/usr/bin/fio --name=nested --filename=/dev/vda --thread --ioengine=libaio --direct=1 --rw=randwrite \
    --bs=4k --iodepth=8 --offset=8M --size=1M --verify=crc32c --do_verify=1 --verify_fatal=1 \
    >/tmp/fio.out 2>&1 || rc=$?
sed 's/^/NESTED: fio: /' /tmp/fio.out
echo "NESTED: fio rc=$rc"
echo vt97-nested-marker | dd of=/dev/vda bs=512 seek=32768 conv=fsync 2>/dev/null && echo "NESTED: marker written"
read -r up _ </proc/uptime
echo "NESTED: done $up"
poweroff -f
EOF
chmod 0755 "$inner/init"
(cd "$inner" && find . | cpio -o -H newc -R 0:0 2>/dev/null) >"$inner.cpio"
log "nested initramfs: $(($(wc -c <"$inner.cpio") / 1024)) KiB"

# --- boot it: guest memory in a shared memfd, the disk through libblkio's vhost-vdpa driver -------
read -r t0 _ </proc/uptime
rc=0
timeout -s KILL 1000 "$QEMU_SYSTEM" -L /usr/share/qemu -bios qboot.rom -accel tcg -M pc -m 256 \
    -nodefaults -nographic -serial stdio -no-reboot -nic none \
    -object memory-backend-memfd,id=mem,size=256M,share=on -machine memory-backend=mem \
    -kernel /boot/vmlinuz -initrd "$inner.cpio" -append "console=ttyS0 quiet panic=-1" \
    -blockdev "node-name=disk,driver=virtio-blk-vhost-vdpa,path=$DEV,cache.direct=on" \
    -device virtio-blk-pci,drive=disk >"$console" 2>&1 </dev/null || rc=$?
read -r t1 _ </proc/uptime
[ "$rc" -eq 0 ] || fail "qemu-system-x86_64 exited rc=$rc; its console: $(cat "$console")"
nested() { sed -n "s/^NESTED: $1//p" "$console" | tr -d '\r' | sed -n 1p; }
booted=$(nested "booted ") done=$(nested "done ")
[ -n "$done" ] || fail "the nested VM never finished its init; its console: $(cat "$console")"
log "nested VM: kernel up after ${booted}s of its uptime, init done at ${done}s; qemu ran $t0 -> $t1"
expect_eq "nested VM: disk size in sectors" "$(nested "size ")" $((64 * 2048))
expect_eq "nested VM: sha256 of the pattern" "$(nested "head ")" "$head_sha"
grep 'NESTED: fio:' "$console" | grep -E 'IOPS|err=' | tr -d '\r' | sed 's/^/--- /'
expect_eq "nested VM: fio exit status" "$(nested "fio rc=")" 0
grep -q 'NESTED: fio: .*err= *0' "$console" || fail "nested fio reported an error; its console: $(cat "$console")"
grep -q 'NESTED: marker written' "$console" || fail "the nested VM could not write its marker; $(cat "$console")"
expect_eq "marker in the backing file" "$(dd if="$img" bs=512 skip=32768 count=1 status=none | head -n1 | tr -d '\0')" vt97-nested-marker
s=$(stats_json)
expect_eq "I/O errors" "$(json_total "$s" io_errors)" 0
expect_eq "malformed requests" "$(json_total "$s" malformed)" 0
stop_daemon
