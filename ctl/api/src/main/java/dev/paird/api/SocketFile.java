package dev.paird.api;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.util.Map;
import java.util.Optional;

/**
 * What the file system says about a control socket's path: paird checks it before it binds, and
 * pairctl, to explain why connecting failed. The JDK reports a missing socket, an unreadable
 * directory and a mode that denies access as {@code SocketException}s whose messages come from the
 * C library (and may be translated), so both ask the file system instead of reading messages.
 *
 * @param group the file's group name, if it could be read
 * @param writable whether this process may write it, which connecting to a socket requires
 */
public record SocketFile(Kind kind, Optional<String> group, boolean writable) {

  /** The longest socket path, in bytes: sun_path holds 108 with the terminating NUL. */
  public static final int MAX_PATH_BYTES = 107;

  /** What is at the path. */
  public enum Kind {
    /** Nothing at the path, or a directory on the way is missing. */
    MISSING,
    /** A directory on the way may not be searched by this user. */
    HIDDEN,
    SOCKET,
    /** A regular file, directory or anything else that is not a socket. */
    NOT_A_SOCKET,
    /** The file system would not say. */
    UNKNOWN
  }

  private static final int TYPE_MASK = 0170000;
  private static final int SOCKET_TYPE = 0140000;

  /**
   * Looks at {@code path}, following symbolic links as connecting does unless {@code options} say
   * {@link LinkOption#NOFOLLOW_LINKS}.
   */
  public static SocketFile probe(Path path, LinkOption... options) {
    Map<String, Object> attributes;
    try {
      attributes = Files.readAttributes(path, "unix:mode,group", options);
    } catch (NoSuchFileException e) {
      return new SocketFile(Kind.MISSING, Optional.empty(), false);
    } catch (AccessDeniedException e) {
      return new SocketFile(Kind.HIDDEN, Optional.empty(), false);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return new SocketFile(Kind.UNKNOWN, Optional.empty(), false);
    }
    Object mode = attributes.get("mode");
    Object group = attributes.get("group");
    boolean socket = mode instanceof Integer m && (m & TYPE_MASK) == SOCKET_TYPE;
    return new SocketFile(
        socket ? Kind.SOCKET : Kind.NOT_A_SOCKET,
        group instanceof GroupPrincipal g ? Optional.of(g.getName()) : Optional.empty(),
        Files.isWritable(path));
  }
}
