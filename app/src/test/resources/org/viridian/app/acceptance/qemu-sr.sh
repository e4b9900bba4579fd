# StockLinuxSaveRestoreIT's QEMU half: the same kernel and initramfs under QEMU/KVM with 512 MiB, saved as `virsh save`
# does it (stop, migrate to a file) and restored (-incoming from the file, cont). The monitor is a pair of FIFOs.
q() { echo "QSR: $*" | tee /dev/console; }
# Busybox's date has no %N: time in centiseconds from /proc/uptime; ms T0 gives the milliseconds since T0 (loops
# below count with i, never T0: sh variables are global).
now() { cut -d' ' -f1 /proc/uptime | tr -d .; }
ms() { echo $((($(now) - $1) * 10)); }
# m CMD: one monitor command; its answer lands in mon.log.
m() { echo "$1" > mon.in; sleep 0.2; }
# until_mon CMD TEXT: repeats CMD until the monitor's answers show TEXT (up to ~5 min). The log is never cut (an
# answer that comes late under TCG still counts); each TEXT is one that appears only once its moment has come.
until_mon() {
  for i in $(seq 1 1500); do m "$1"; tr -d '\r' < mon.log | grep -q "$2" && return 0; done
  q "monitor never said '$2' to '$1'"; tail -n 20 mon.log; return 1
}
start_qemu() {
  rm -f mon.in mon.out mon.log; mkfifo mon.in mon.out
  qemu-system-x86_64 -machine accel=kvm -cpu host -m 512 -smp 1 -nodefaults -no-reboot -display none \
    -serial file:"$1" -kernel vmlinuz -initrd sr-initrd.gz -append 'console=ttyS0 quiet panic=-1' \
    -chardev pipe,id=mon,path=mon -mon chardev=mon,mode=readline $2 2>qemu.err &
  Q=$!
  cat mon.out >> mon.log &
}
start_qemu guest1.log ""
for i in $(seq 1 300); do grep -q 'SR: loop 8 ' guest1.log && break; sleep 1; done
grep -q 'SR: loop 8 ' guest1.log || { q "guest never reached loop 8"; cat guest1.log qemu.err; kill $Q; exit 1; }
T0=$(now); m stop; m 'migrate "exec:cat > qemu.state"'
until_mon 'info migrate' 'Migration status: completed' || { kill $Q; exit 1; }
q "save done save ms=$(ms $T0)"
q "state file bytes=$(stat -c %s qemu.state)"
m quit; wait $Q
T0=$(now)
start_qemu guest2.log '-incoming exec:cat<qemu.state'
until_mon 'info status' 'VM status: paused$\|VM status: paused (postmigrate)\|VM status: paused (prelaunch)' || {
  tail -n 20 mon.log; kill $Q; exit 1; }
m cont
until_mon 'info status' 'VM status: running' || { kill $Q; exit 1; }
q "restored, running restore ms=$(ms $T0)"
for i in $(seq 1 120); do grep -q 'SR: loop 12 ' guest2.log && break; sleep 1; done
tail -n 3 guest2.log | sed 's/^/QSR: guest after restore: /'
m quit; wait $Q
exit 0
