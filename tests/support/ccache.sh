# Sourced by tests/run.sh and tests/fuzz/run.sh from the repository root: one compiler cache for
# every build of the project, so that a developer's build warms CI's and the reverse. Hits do not
# depend on the folder a clone lives in (BASEDIR is the clone, NOHASHDIR keeps it out of the hash).
# Each setting can be overridden from the environment.
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/lgb-ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR=true CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
