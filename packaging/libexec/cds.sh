# Class-data sharing for the paird and pairctl launchers, which source this file: a static
# AppCDS archive of the classes a program loads at start-up, mapped instead of loaded, parsed
# and verified at every run. An archive belongs to one JVM build and one set of jars, so it is
# made where the program runs, by make-cds-archive (the package's postinst runs it), never
# shipped. docs/PACKAGING.md ("Class-data archives") says where archives live and why.
#
# The JVM checks an archive's JVM build and class path itself and ignores, silently, one that
# does not match (a stale archive costs start-up time, never a start). What it does not check
# is a file cut short: mapping one crashes the JVM. So an archive is used only if it is as long
# as its maker recorded, and only if nobody but root or the caller can have written it.
#
# Environment (for both programs):
#   PAIRD_CDS=off          use no archive of our own (the JDK's default one still applies)
#   PAIRD_CDS_ARCHIVE=FILE use FILE rather than the usual place
#   PAIRD_CDS_CLASSLIST=F  training: run as usual and write the classes loaded to F
#   PAIRD_CDS_DUMP=FILE    with PAIRD_CDS_CLASSLIST: write the archive of those classes to FILE
#                          and exit, instead of running the program

# cds_dump_if_asked JAVA LIB FLAGS...: in a dump (PAIRD_CDS_DUMP set), execs the JVM to write
# the archive, with the program's own JVM flags and class path (an archive records both).
cds_dump_if_asked() {
  [ -n "${PAIRD_CDS_DUMP:-}" ] || return 0
  [ -n "${PAIRD_CDS_CLASSLIST:-}" ] || {
    echo "PAIRD_CDS_DUMP needs PAIRD_CDS_CLASSLIST, the classes to archive" >&2
    exit 2
  }
  cds_java=$1
  cds_lib=$2
  shift 2
  exec "$cds_java" "$@" -Xshare:dump -XX:SharedClassListFile="$PAIRD_CDS_CLASSLIST" \
    -XX:SharedArchiveFile="$PAIRD_CDS_DUMP" -cp "$cds_lib/*"
}

# cds_option NAME LIB INSTALLED: sets cds_opt to the one JVM option that uses the archive of
# NAME, whose jars are in LIB, or to nothing. INSTALLED is yes for the jars of an installed
# package, whose archives are in /var/cache/paird; in a source checkout they are the caller's
# own, in ${XDG_CACHE_HOME:-~/.cache}/paird, and exist only if make-cds-archive --user made them.
cds_option() {
  cds_opt=
  cds_name=$1
  cds_lib=$2
  cds_installed=$3
  if [ -n "${PAIRD_CDS_CLASSLIST:-}" ]; then
    cds_opt=-XX:DumpLoadedClassList=$PAIRD_CDS_CLASSLIST
    return 0
  fi
  [ "${PAIRD_CDS:-on}" != off ] || return 0
  if [ -n "${PAIRD_CDS_ARCHIVE:-}" ]; then
    cds_file=$PAIRD_CDS_ARCHIVE
  elif [ "$cds_installed" = yes ]; then
    cds_file=/var/cache/paird/$cds_name.jsa
  elif [ -n "${XDG_CACHE_HOME:-}" ]; then
    cds_file=$XDG_CACHE_HOME/paird/$cds_name.jsa
  elif [ -n "${HOME:-}" ]; then
    cds_file=$HOME/.cache/paird/$cds_name.jsa
  else
    return 0
  fi
  # The usual case, no archive, costs one test and no process.
  [ -f "$cds_file" ] && [ ! -L "$cds_file" ] && [ -r "$cds_file.size" ] || return 0
  cds_recorded=
  read -r cds_recorded < "$cds_file.size" || return 0
  # Owner, mode and size of the directory and of the archive itself. Only this one stat is a
  # process of its own: the checks around it are the shell's built-ins, since every process
  # the launcher starts adds to each pairctl run a good part of what the archive saves.
  # shellcheck disable=SC2046
  set -- $(stat -c '%u %a %s' -- "${cds_file%/*}" "$cds_file" 2>/dev/null)
  [ $# -eq 6 ] || return 0
  # Owned by root or by the caller (-O: by the effective user).
  [ "$1" = 0 ] || [ -O "${cds_file%/*}" ] || return 0
  [ "$4" = 0 ] || [ -O "$cds_file" ] || return 0
  # Neither may be writable by group or others: whoever can replace the archive can change
  # the program.
  [ $((0$2 & 022)) -eq 0 ] && [ $((0$5 & 022)) -eq 0 ] || return 0
  [ "$6" = "$cds_recorded" ] || return 0
  # A checkout's jars change with every build, and the JVM would then ignore the archive and
  # the JDK's own with it: slower than none. A package's change only with its postinst.
  if [ "$cds_installed" != yes ]; then
    for cds_jar in "$cds_lib"/*.jar; do
      [ ! "$cds_jar" -nt "$cds_file" ] || return 0
    done
  fi
  cds_opt=-XX:SharedArchiveFile=$cds_file
}
