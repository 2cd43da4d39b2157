#!/bin/sh
#
# Builds the API baseline that bnd-baseline-maven-plugin checks every exporting bundle against: the bundles that
# export packages (org.updraft.api, org.updraft.core, org.updraft.device) as they were at a pinned git revision,
# compiled and processed by bnd exactly as that revision's poms say, and installed into the local Maven repository
# as org.updraft:<bundle>:0.0.0-<revision>. Run by the baseline module (baseline/pom.xml) at the start of every
# build; does nothing when that version is installed already.
#
#   baseline.sh REVISION LOCAL_REPOSITORY offline=true|false MAVEN_HOME
#
# Needs git and the revision in the clone's history (a clone with --depth misses it: git fetch --unshallow).
set -eu

revision=$1
repository=$2
offline=$3
maven=$4/bin/mvn

root=$(cd "$(dirname "$0")/.." && pwd -P)
version="0.0.0-${revision}"
bundles="org.updraft.api org.updraft.core org.updraft.device"

missing=""
for bundle in ${bundles}; do
    [ -f "${repository}/org/updraft/${bundle}/${version}/${bundle}-${version}.jar" ] || missing="${missing} ${bundle}"
done
if [ -z "${missing}" ]; then
    echo "baseline: the exported API of ${revision} is installed (${version})"
    exit 0
fi

if ! git -C "${root}" cat-file -e "${revision}^{commit}" 2>/dev/null; then
    echo "baseline: commit ${revision} (the API baseline, updraft.api.baseline in pom.xml) is not in this clone:" \
        "fetch the history (git fetch --unshallow), or build with -Dbnd.baseline.skip=true to skip the API check" >&2
    exit 1
fi

work="${root}/baseline/target/${revision}"
rm -rf "${work}"
mkdir -p "${work}"
git -C "${root}" archive "${revision}" | tar -x -C "${work}"

# the revision's own version becomes the baseline version, so that installing it never replaces a build of ours
current=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "${work}/pom.xml" | head -n 1)
find "${work}" -name pom.xml -exec sed -i "s|<version>${current}</version>|<version>${version}</version>|" {} +

modules=""
for bundle in ${bundles}; do
    modules="${modules:+${modules},}bundles/${bundle}"
done
offline_flag=""
[ "${offline}" = "offline=true" ] && offline_flag="-o"

echo "baseline: building the exported API of ${revision} as ${version}:${missing}"
# goals, not phases: the main code only (a phase would resolve and compile the revision's tests and their
# dependencies); bnd-process by its execution id, whose configuration holds the bnd instructions
"${maven}" -B -q ${offline_flag} -f "${work}/pom.xml" -Dmaven.repo.local="${repository}" -pl "${modules}" \
    resources:resources compiler:compile biz.aQute.bnd:bnd-maven-plugin:bnd-process@bnd-process jar:jar \
    install:install
echo "baseline: installed ${version}"
