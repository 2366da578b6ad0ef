# Sourced by the project's scripts: points JAVA_HOME at a JDK 25 or newer.
ukemu_java_ok() {
  [ -x "$1/bin/javac" ] || return 1
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null
}
if [ -z "${JAVA_HOME:-}" ] || ! ukemu_java_ok "$JAVA_HOME"; then
  JAVA_HOME=""
  for d in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    if [ -d "$d" ] && ukemu_java_ok "$d"; then JAVA_HOME="$d"; break; fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "ukemu: no JDK 25 found; set JAVA_HOME to one (e.g. Temurin 25)" >&2
    exit 1
  fi
fi
export JAVA_HOME
