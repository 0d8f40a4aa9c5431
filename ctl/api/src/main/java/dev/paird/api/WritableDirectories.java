package dev.paird.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;

/**
 * Finds who else could change what a path leads to: the rule of OpenSSH's StrictModes, which
 * pairctl applies to the directories of a key file and of the control socket, and paird to the
 * directory of its control socket. Whoever may write to a directory on the way may put their own
 * file or socket in the place of the one checked, or rename a directory of the path and put another
 * in its place; so does a directory's owner, who may change its mode.
 *
 * <p>It guarantees nothing about a path whose links were not resolved first: it looks at the
 * directories of the path it is given, not where a link in it leads.
 */
public final class WritableDirectories {
  private WritableDirectories() {}

  /** Root and the users {@code uids}, as the trusted users of {@link #check}. */
  public static IntPredicate rootOr(int... uids) {
    return new RootOr(uids.clone());
  }

  /** A class, not a lambda: pairctl's short runs would pay for the lambda's bootstrap. */
  private static final class RootOr implements IntPredicate {
    private final int[] uids;

    RootOr(int[] uids) {
      this.uids = uids;
    }

    @Override
    public boolean test(int uid) {
      if (uid == 0) {
        return true;
      }
      for (int trusted : uids) {
        if (uid == trusted) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * A directory on the way that someone outside the trusted users owns or may write to.
   *
   * @param directory the directory
   * @param first whether it is the directory checking began with, not one above it
   * @param owner its owner's uid
   * @param mode its permission bits, sticky bit included
   * @param foreignOwner whether its owner is not trusted, rather than only its mode too wide
   * @param inShared whether it is its owner that is not trusted where it lies: in a sticky
   *     directory others may write to, where anyone may make a directory of their own
   */
  public record Flaw(
      Path directory, boolean first, int owner, int mode, boolean foreignOwner, boolean inShared) {
    /** Who else may write to it: "every user" or "its group's members". */
    public String writers() {
      return (mode & 0002) != 0 ? "every user" : "its group's members";
    }

    /** Its owner and mode, as {@code (owner uid 1000, mode 0777)}. */
    public String state() {
      return " (owner uid " + owner + ", mode " + String.format(Locale.ROOT, "%04o", mode) + ")";
    }
  }

  /**
   * Checks {@code real}, a directory's path with no link in it, and every directory above it up to
   * {@code /}: each must belong to a {@code trusted} user, and none may be writable by its group or
   * other users, but for a sticky directory (as {@code /tmp}), whose entries only their owners may
   * rename or remove, so that what lies on the path below it stays in place as long as it belongs
   * to a trusted user, which the next step of the walk checks.
   *
   * @param stickyFirst whether {@code real} itself may be a sticky directory others may write to:
   *     yes for a file that must belong to a trusted user, no for a path whose entry may be missing
   *     at times (a socket while its daemon is stopped), which anyone could then take
   * @return the first directory, from {@code real} upwards, that fails, if any
   * @throws NotDirectoryException naming what on the way is not a directory
   * @throws IOException naming the directory that could not be looked at
   */
  public static Optional<Flaw> check(Path real, IntPredicate trusted, boolean stickyFirst)
      throws IOException {
    return check(real, trusted, trusted, stickyFirst);
  }

  /**
   * As {@link #check(Path, IntPredicate, boolean)}, but a directory on the way that lies in a
   * sticky directory others may write to must belong to a user {@code trustedInShared} accepts:
   * anyone may make a directory of their own there, so its owner says nothing of who meant it to be
   * on the path.
   */
  public static Optional<Flaw> check(
      Path real, IntPredicate trusted, IntPredicate trustedInShared, boolean stickyFirst)
      throws IOException {
    Flaw below = null;
    for (Path dir = real; dir != null; dir = dir.getParent()) {
      Map<String, Object> attributes =
          Files.readAttributes(dir, "unix:isDirectory,mode,uid", LinkOption.NOFOLLOW_LINKS);
      if (!(Boolean) attributes.get("isDirectory")) {
        // A file given as the directory, or a directory replaced since the path was resolved.
        throw new NotDirectoryException(dir.toString());
      }
      int mode = (Integer) attributes.get("mode") & 07777;
      int owner = (Integer) attributes.get("uid");
      boolean first = dir.equals(real);
      boolean sticky = (mode & 01000) != 0 && (stickyFirst || !first);
      boolean foreignOwner = !trusted.test(owner);
      if (foreignOwner || ((mode & 0022) != 0 && !sticky)) {
        return Optional.of(new Flaw(dir, first, owner, mode, foreignOwner, false));
      }
      if ((mode & 0022) != 0 && below != null && !trustedInShared.test(below.owner())) {
        return Optional.of(below);
      }
      below = new Flaw(dir, first, owner, mode, true, true);
    }
    return Optional.empty();
  }
}
