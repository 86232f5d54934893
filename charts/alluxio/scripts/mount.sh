#!/usr/bin/env bash
# Makes Alluxio's mounts match /etc/fluid/scripts/mount.info (rendered by fluid-render).
# Each line: <alluxio path> <ufs uri> [--readonly] [--shared] [--option key=value]...
# Option fields are printf %b escaped: a space is \x20, a backslash \\, a line break \n.
# Paths not listed are unmounted, listed ones not yet mounted are mounted; `/` is the root UFS
# and never touched. Running it again, or from several masters at once, changes nothing more.
set -euo pipefail
table=/etc/fluid/scripts/mount.info

alluxio fsadmin report >/dev/null
mounted() { alluxio fs mount | awk '$2 == "on" { print $3 }'; }
current=$(mounted)
wanted=$(awk 'NF >= 2 { print $1 }' "$table")

for path in $current; do
  [ "$path" = "/" ] && continue
  if ! grep -qxF -- "$path" <<<"$wanted"; then
    echo "fluid-render: unmounting $path (not in the mount table)"
    alluxio fs unmount "$path"
  fi
done

while read -r -a fields; do
  [ "${#fields[@]}" -ge 2 ] || continue
  path=${fields[0]} ufs=${fields[1]}
  [ "$path" = "/" ] && continue
  grep -qxF -- "$path" <<<"$current" && continue
  options=()
  for field in "${fields[@]:2}"; do
    printf -v field '%b' "$field"
    value=${field#*=}
    if [[ "$field" == *=/etc/fluid/secrets/* && -f "$value" ]]; then
      field="${field%%=*}=$(cat "$value")"
    fi
    options+=("$field")
  done
  echo "fluid-render: mounting $ufs at $path"
  if ! alluxio fs mount "${options[@]}" "$path" "$ufs"; then
    # Another master may have mounted it in the meantime: that is success too.
    mounted | grep -qxF -- "$path" || exit 1
  fi
done <"$table"
