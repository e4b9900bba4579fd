# Sourced by ./viridian, ./run-tests and .ci/run: finds Java 25+ and Maven, installs what a fresh Debian host lacks.
# The JDK's release file says its version without starting a JVM (~0.1 s, a third of a short `vhd convert`); read with
# shell builtins into REPLY, as every process started here (sed, a subshell) waits for a CPU on a busy host.
java_major() {
  REPLY=
  local line
  if [ -r "$1/release" ]; then
    while IFS= read -r line; do
      if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then REPLY="${BASH_REMATCH[1]}"; return; fi
    done < "$1/release"
  fi
  REPLY="$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')"
}
find_java25() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java_major "$JAVA_HOME" && [ "$REPLY" -ge 25 ] 2>/dev/null; then
    return 0
  fi
  local c
  for c in /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* "$HOME"/.sdkman/candidates/java/*; do
    [ -x "$c/bin/javac" ] || continue
    java_major "$c"
    if [ "$REPLY" -ge 25 ] 2>/dev/null; then export JAVA_HOME="$c"; return 0; fi
  done
  echo "viridian: Java 25 or newer is required (set JAVA_HOME, or install a JDK 25 under /usr/lib/jvm)." >&2
  return 1
}
# Installs Debian packages when missing and we may (root, apt-get present); otherwise says what is missing.
need_pkg() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$EUID" = 0 ] && command -v apt-get >/dev/null; then
    echo "viridian: installing $2 ..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"; } >/dev/null 2>&1 && return 0
  fi
  echo "viridian: '$1' is required (Debian package $2)." >&2
  return 1
}
viridian_env() {
  find_java25 || return 1
  export PATH="$JAVA_HOME/bin:$PATH"
  need_pkg mvn maven && need_pkg make make && need_pkg gcc gcc || return 1
  # Virtual switches (--nic): optional, so a host without them still builds and runs VMs without networking.
  if [ "$EUID" = 0 ]; then
    need_pkg ip iproute2 && need_pkg nft nftables && need_pkg dnsmasq dnsmasq-base || true
  fi
  # -B: no colours/progress in logs; the JVM flags let Maven itself run quietly on Java 25.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --enable-native-access=ALL-UNNAMED -XX:+IgnoreUnrecognizedVMOptions --sun-misc-unsafe-memory-access=allow"
}
