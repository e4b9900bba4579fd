# StockLinuxSaveRestoreIT's Viridian half, run in the nested host (busybox sh, in /opt/files).
# Two services on loopback: the first runs, saves, resumes and moves the guest; the second receives it.
ip link set lo up
A1=http://127.0.0.1:7481/api/v1
A2=http://127.0.0.1:7482/api/v1
p() { echo "SR-HOST: $*" | tee /dev/console; }
# Busybox's date has no %N: time in centiseconds from /proc/uptime; ms T0 gives the milliseconds since T0.
now() { cut -d' ' -f1 /proc/uptime | tr -d .; }
ms() { echo $((($(now) - $1) * 10)); }
# w API TEXT: waits (up to ~8 min) for TEXT on the guest's console, read over REST with busybox wget (a CLI call would
# start a JVM each time, under TCG); gives up at once when the VM is off or crashed, and shows why.
w() {
  for t in $(seq 1 240); do
    wget -qO- "$1/vms/linux/console" 2>/dev/null | grep -q "$2" && return 0
    wget -qO- "$1/vms/linux" 2>/dev/null | grep -Eq '"state" *: *"(off|crashed)"' && break
    sleep 2
  done
  p "gave up waiting for '$2'"
  wget -qO- "$1/vms/linux" | head -c 3000; echo
  wget -qO- "$1/vms/linux/console" | tail -n 40 | sed 's/^/SR-CONSOLE: /'
  tail -n 30 serve1.log serve2.log /tmp/sr*/run/*/worker.log 2>/dev/null
  return 1
}
up() {
  for t in $(seq 1 300); do wget -qO- "$1/vms" >/dev/null 2>&1 && return 0; sleep 1; done
  p "service $1 never answered"; tail -n 30 serve1.log serve2.log; return 1
}
finish() { kill $S1 $S2 2>/dev/null; wait; exit "$1"; }

mkdir -p /tmp/shared
viridian vhd create /tmp/shared/disk.vhdx --size 64M >/dev/null
viridian serve --state-dir /tmp/sr1 --listen 127.0.0.1:7481 > serve1.log 2>&1 & S1=$!
viridian serve --state-dir /tmp/sr2 --listen 127.0.0.1:7482 > serve2.log 2>&1 & S2=$!
up $A1 && up $A2 || finish 1
p "services up"
export VIRIDIAN_URL=http://127.0.0.1:7481
viridian vm create linux --kernel $PWD/vmlinuz --initrd $PWD/sr-initrd.gz --memory 512M --cpus 1 \
  --disk /tmp/shared/disk.vhdx --cmdline 'console=ttyS0 quiet panic=-1 reboot=k' | sed 's/^/SR-HOST: /'
viridian vm start linux | sed 's/^/SR-HOST: /'
p started
w $A1 'SR: loop 8 ' || finish 1

t=$(now); viridian vm save linux; rc=$?; p "save rc=$rc save ms=$(ms $t)"
p "state $(viridian vm show linux | grep state: | tr -s ' ' | cut -d' ' -f2)"
p "state file bytes=$(stat -c %s /tmp/sr1/vms/*/saved-state.vmrs)"
sleep 5
t=$(now); viridian vm start linux; rc=$?; p "start rc=$rc start ms=$(ms $t)"
w $A1 'SR: loop 14 ' || finish 1

wget -qO- $A1/vms/linux/console | sed 's/^/SR-SOURCE: /'
t=$(now); viridian vm move linux --to http://127.0.0.1:7482 > move.out 2>&1; rc=$?; sed 's/^/SR-HOST: /' move.out
p "move rc=$rc move ms=$(ms $t)"
viridian vm list | sed 's/^/SR-HOST: source: /'
export VIRIDIAN_URL=http://127.0.0.1:7482
viridian vm list | sed 's/^/SR-HOST: destination: /'
w $A2 'SR: verified' || finish 1
sleep 6
p "heartbeat $(viridian vm show linux --json | grep -o '"heartbeat"[^,]*')"
p "host clock=$(date -u +%s)"
w $A2 'SR: final'
wget -qO- $A2/vms/linux/console | sed 's/^/SR-DEST: /'
tail -n 5 /tmp/sr*/run/*/worker.log 2>/dev/null
finish 0
