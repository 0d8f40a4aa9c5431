package dev.paird.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Whether a caller belongs to a group: from the groups of the calling process itself ({@code
 * /proc/PID/status}), which is what the kernel checked against the socket's mode, or, where that
 * process is hidden from paird (the unit's {@code ProtectProc=invisible}) or gone, from the group
 * database in {@code /etc/passwd} and {@code /etc/group}.
 *
 * <p>Not consulted: users and groups known only to a network directory (NSS modules such as LDAP or
 * sssd). Their members are refused unless their process is visible to paird; list them in {@code
 * /etc/group}, or run pairctl as root.
 */
final class GroupMembership implements ControlAccess.Membership {
  /** Longest file read here; /proc status files are about 1.5 KB. */
  private static final long MAX_FILE_BYTES = 4L * 1024 * 1024;

  private final Path proc;
  private final Path passwd;
  private final Path group;

  GroupMembership(Path proc, Path passwd, Path group) {
    this.proc = proc;
    this.passwd = passwd;
    this.group = group;
  }

  /** The system's own files. */
  static GroupMembership system() {
    return new GroupMembership(Path.of("/proc"), Path.of("/etc/passwd"), Path.of("/etc/group"));
  }

  /**
   * Reads small local files, on the event loop of the connection: they are in memory (procfs) or in
   * the page cache, and only connections that already passed the socket's mode get here.
   */
  @Override
  public boolean isMember(Caller caller, int gid) {
    Optional<Boolean> fromProcess = fromProcess(caller, gid);
    return fromProcess.orElseGet(() -> fromDatabase(caller.uid(), gid));
  }

  /** Empty if the process cannot be read or is no longer the one that connected. */
  private Optional<Boolean> fromProcess(Caller caller, int gid) {
    if (caller.pid() <= 0) {
      return Optional.empty();
    }
    List<String> status = lines(proc.resolve(Integer.toString(caller.pid())).resolve("status"));
    String[] uids = field(status, "Uid:");
    String[] groups = field(status, "Groups:");
    // Uid: real, effective, saved, fs. A different effective uid means the pid is another
    // process now, or the process changed its identity: ask the database instead.
    if (uids == null
        || uids.length < 2
        || !uids[1].equals(Integer.toString(caller.uid()))
        || groups == null) {
      return Optional.empty();
    }
    String wanted = Integer.toString(gid);
    for (String member : groups) {
      if (member.equals(wanted)) {
        return Optional.of(true);
      }
    }
    return Optional.of(false);
  }

  private boolean fromDatabase(int uid, int gid) {
    String name = null;
    String wantedUid = Integer.toString(uid);
    String wantedGid = Integer.toString(gid);
    for (String line : lines(passwd)) {
      String[] fields = line.split(":", -1);
      if (fields.length >= 4 && fields[2].equals(wantedUid)) {
        if (fields[3].equals(wantedGid)) {
          return true;
        }
        name = fields[0];
        break;
      }
    }
    if (name == null) {
      return false;
    }
    for (String line : lines(group)) {
      String[] fields = line.split(":", -1);
      if (fields.length >= 4 && fields[2].equals(wantedGid)) {
        for (String member : fields[3].split(",", -1)) {
          if (member.strip().equals(name)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The values after {@code name} on its line, split at white space; null if absent. */
  private static String[] field(List<String> lines, String name) {
    for (String line : lines) {
      if (line.startsWith(name)) {
        String rest = line.substring(name.length()).strip();
        return rest.isEmpty() ? new String[0] : rest.split("\\s+");
      }
    }
    return null;
  }

  /** The file's lines; none if it cannot be read or is implausibly large. */
  private static List<String> lines(Path file) {
    try {
      if (Files.isRegularFile(file) && Files.size(file) <= MAX_FILE_BYTES) {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
      }
    } catch (IOException | RuntimeException e) {
      // Unreadable, gone, or not UTF-8: this source knows nothing.
    }
    return List.of();
  }
}
