#!/usr/bin/env bash
# Builds the Debian package of the kiosk and checks it:
#  1. cargo deb (release, without the simulators feature);
#  2. the release binary has no simulator symbols (check-no-simulators.sh);
#  3. dpkg-deb -I / -c: control, maintainer scripts, binary, unit, udev
#     rules, conffile;
#  4. installs it into a clean root (dpkg --root on a fresh directory with
#     the dpkg database and the tools the maintainer scripts use, or a
#     debootstrap chroot when KIOSK_DEB_CHROOT=1) and checks the user, the
#     groups, /var/lib/kiosk 0700 and the conffile's mode;
#  5. systemd-analyze verify on the installed unit.
# Needs: cargo-deb (cargo install cargo-deb --locked), dpkg, systemd.
# Writes target/debian/kiosk_*.deb; prints the package and binary sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
say() { echo "== build-deb: $*"; }

if ! command -v cargo-deb >/dev/null; then
    say "installing cargo-deb"
    cargo install cargo-deb --locked --version '^3'
fi

say "cargo build --release -p kiosk (the package's features: no simulators)"
cargo build --release -p kiosk --no-default-features --features usb,pcsc,linuxkms
bin="$CARGO_TARGET_DIR/release/kiosk"
unstripped="$(stat -c %s "$bin")"

say "no simulator code in the packaged binary (checked before stripping)"
packaging/check-no-simulators.sh "$bin"

say "cargo deb -p kiosk --no-build --strip"
cargo deb -p kiosk --no-build --strip
deb="$(ls -t "$CARGO_TARGET_DIR"/debian/kiosk_*.deb | head -1)"

say "dpkg-deb -I"
dpkg-deb -I "$deb" | tee "$CARGO_TARGET_DIR/debian/info.txt"
say "dpkg-deb -c"
dpkg-deb -c "$deb" | tee "$CARGO_TARGET_DIR/debian/contents.txt"
contents="$CARGO_TARGET_DIR/debian/contents.txt"
for path in ./usr/bin/kiosk ./etc/kiosk/kiosk.toml ./usr/lib/udev/rules.d/60-kiosk.rules \
    ./lib/systemd/system/kiosk.service ./usr/share/doc/kiosk/examples/cage.conf; do
    if ! grep -q " $path\$" "$contents"; then
        # cargo-deb puts units under /lib or /usr/lib depending on its version.
        alt="${path/#.\/lib\//./usr/lib/}"
        grep -q " $alt\$" "$contents" || { echo "missing in package: $path" >&2; exit 1; }
    fi
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/kiosk/kiosk.toml "$work/control/conffiles" || { echo "kiosk.toml is not a conffile" >&2; exit 1; }
grep -q 'adduser --system' "$work/control/postinst" || { echo "postinst does not create the user" >&2; exit 1; }
if grep -q 'drwxrwxrwx\|-rw-rw-rw-\|-rw-r--r-- .* ./etc/kiosk/kiosk.toml' "$contents"; then
    echo "world-writable file, or a world-readable configuration, in the package" >&2; exit 1
fi

say "install into a clean root"
root="$work/root"
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info" "$root/etc" "$root/usr/bin" \
    "$root/usr/sbin" "$root/bin" "$root/sbin" "$root/tmp" "$root/run" "$root/dev"
# The maintainer scripts redirect to /dev/null and adduser locks in /run:
# a character device where the container allows mknod, else a plain file
# (writes to it are discarded with the root).
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || : >"$root/dev/null"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
# A minimal system the maintainer scripts can run in: a shell, the user
# tools, getent, the base groups, udevadm absent (no udev in the root).
printf 'root:x:0:\ndialout:x:20:\nvideo:x:44:\nplugdev:x:46:\nlp:x:7:\ninput:x:101:\nrender:x:102:\nusers:x:100:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:*::\n' >"$root/etc/gshadow"
printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
if [ "${KIOSK_DEB_CHROOT:-0}" = 1 ] && command -v debootstrap >/dev/null; then
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian
fi
if [ "$(id -u)" -eq 0 ] && command -v chroot >/dev/null; then
    # Populate the chroot with what the scripts need from the host.
    for tool in /bin/sh /usr/bin/dash /usr/bin/getent /usr/sbin/adduser /usr/sbin/addgroup \
        /usr/sbin/useradd /usr/sbin/groupadd /usr/sbin/usermod /usr/sbin/gpasswd /usr/bin/chown /usr/bin/chmod \
        /usr/bin/mkdir /usr/bin/rm /usr/bin/perl /usr/sbin/deluser /usr/bin/cat /usr/bin/env \
        /usr/bin/grep /usr/bin/sed /usr/bin/id /usr/bin/chgrp /usr/sbin/nologin /usr/bin/chfn \
        /usr/bin/deb-systemd-helper /usr/bin/deb-systemd-invoke /usr/bin/ln /usr/bin/readlink \
        /usr/bin/touch /usr/bin/dirname /usr/bin/basename; do
        [ -e "$tool" ] || continue
        mkdir -p "$root$(dirname "$tool")"
        cp -L "$tool" "$root$tool"
        for lib in $(ldd "$tool" 2>/dev/null | grep -o '/[^ ]*' || true); do
            mkdir -p "$root$(dirname "$lib")"
            cp -Ln "$lib" "$root$lib" 2>/dev/null || true
        done
    done
    # adduser is Perl: its modules and config.
    for dir in /usr/share/perl5 /usr/lib/x86_64-linux-gnu/perl-base /usr/share/perl /etc/adduser.conf \
        /etc/login.defs /etc/nsswitch.conf /usr/lib/x86_64-linux-gnu/perl5 /etc/deluser.conf; do
        [ -e "$dir" ] || continue
        mkdir -p "$root$(dirname "$dir")"
        cp -a "$dir" "$root$(dirname "$dir")/"
    done
    for lib in /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libnss_compat.so.2; do
        [ -e "$lib" ] && { mkdir -p "$root$(dirname "$lib")"; cp -Ln "$lib" "$root$lib"; }
    done
    dpkg --root="$root" --force-depends --force-not-root --log=/dev/null -i "$deb"
    grep -q '^kiosk:' "$root/etc/passwd" || { echo "user kiosk not created" >&2; exit 1; }
    line="$(grep '^kiosk:' "$root/etc/passwd")"
    case "$line" in kiosk:x:0:*) echo "kiosk user is root!" >&2; exit 1;; esac
    for group in dialout video input plugdev lp; do
        grep -q "^$group:.*kiosk" "$root/etc/group" || { echo "kiosk not in group $group" >&2; exit 1; }
    done
    # Owners by number: the host's user names are not the root's.
    uid="$(cut -d: -f3 <<<"$line")"
    mode="$(stat -c '%a %u' "$root/var/lib/kiosk")"
    [ "$mode" = "700 $uid" ] || { echo "/var/lib/kiosk is $mode, want 700 $uid (kiosk)" >&2; exit 1; }
    mode="$(stat -c '%a' "$root/etc/kiosk/kiosk.toml")"
    [ "$mode" = "640" ] || { echo "/etc/kiosk/kiosk.toml is $mode, want 640" >&2; exit 1; }
    echo "installed: $line; /var/lib/kiosk 0700; /etc/kiosk/kiosk.toml 0640"
else
    say "not root: unpacking only (dpkg-deb -x), maintainer scripts not run"
    dpkg-deb -x "$deb" "$root"
fi

say "systemd-analyze verify"
unit="$(find "$root" -name kiosk.service -path '*systemd/system*' | head -1)"
# Verify against the installed root (the binary the unit starts is there),
# with the system's own targets and units (what a Debian root has; the
# bare root above has none) so the unit's dependencies resolve.
if [ -d /usr/lib/systemd/system ]; then
    cp -an /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/" 2>/dev/null || true
fi
systemd-analyze verify --root="$root" "${unit#"$root"}" 2>&1 | tee "$work/verify.txt"
if grep -v -E "^$|Failed to (open|load) .*(dbus|\.target)|not found.*(target|socket)" "$work/verify.txt" | grep -q .; then
    echo "systemd-analyze verify reported problems (above)" >&2
    exit 1
fi

say "sizes"
echo "package: $(stat -c %s "$deb") bytes ($deb)"
echo "binary before stripping (line tables): $unstripped bytes"
installed="$root/usr/bin/kiosk"
echo "installed binary (stripped): $(stat -c %s "$installed") bytes"
