# shellcheck shell=bash
# Sourced by fetch-kernel.sh and trixie-tools.sh: an apt state of our own for another Debian
# suite, so packages can be downloaded from it without adding that suite to the host's sources
# (which would let host installs pick its packages).

# private_apt_setup APTDIR SUITE HOST_SOURCES WHO: prepares APTDIR and sets the array apt_opts.
# The sources file is the first deb822 stanza of HOST_SOURCES (its mirror and keyring) with the
# suite swapped, so no mirror name is ever written into the repository.
private_apt_setup() {
    local aptdir=$1 suite=$2 host_sources=$3 who=$4
    [[ -r $host_sources ]] || { echo "$who: $host_sources not found" >&2; return 1; }
    mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/sources.d" "$aptdir/preferences.d"
    [[ -e $aptdir/status ]] || : >"$aptdir/status"
    awk 'BEGIN { RS = ""; ORS = "\n" } NR == 1 { print; exit }' "$host_sources" |
        sed -E "s/^Suites:.*/Suites: $suite/" >"$aptdir/$suite.sources"
    grep -q "^Suites: $suite\$" "$aptdir/$suite.sources" || {
        echo "$who: could not derive a deb822 stanza from $host_sources" >&2
        return 1
    }
    apt_opts=(
        -o "Dir::Etc::SourceList=$aptdir/$suite.sources"
        -o "Dir::Etc::SourceParts=$aptdir/sources.d"
        -o "Dir::Etc::Preferences=/dev/null"
        -o "Dir::Etc::PreferencesParts=$aptdir/preferences.d"
        -o "Dir::State::Lists=$aptdir/lists"
        -o "Dir::State::status=$aptdir/status"
        -o "Dir::Cache=$aptdir/cache"
        # Root-owned private dirs: no need to drop to the _apt user.
        -o "APT::Sandbox::User=root"
        # Only the Packages index is needed, not translations or AppStream data.
        -o "Acquire::Languages=none"
        -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
        -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
        -q
    )
}
