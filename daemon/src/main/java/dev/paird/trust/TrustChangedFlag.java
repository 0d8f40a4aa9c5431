package dev.paird.trust;

import dev.paird.api.FileProblems;
import dev.paird.io.AtomicFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file paird creates each time it has replaced its outputs, so that paird-trust-changed, which
 * deletes it before each run of its programs and runs them again while it reappears, hears of every
 * change: a level, where a watch on {@code trusted.p12} alone is an edge that systemd may merge
 * into a run already finishing. Its path comes from {@code PAIRD_TRUST_CHANGED_FLAG}.
 *
 * <p>What it guarantees: {@link #raise} never throws and never follows a link, nor opens anything
 * already at the path (a FIFO there would block the store's thread for good): it creates an empty
 * regular file, mode 0644 less the umask, or finds one. It writes no data and syncs nothing, since
 * the programs also run after every start. What it does not: a flag that cannot be raised (its
 * directory missing or not writable, a link in its place) costs one warning, then debug lines until
 * one is raised again; the change that raised it stands either way.
 */
public final class TrustChangedFlag {
  private static final Logger log = LoggerFactory.getLogger(TrustChangedFlag.class);

  private static final TrustChangedFlag NONE = new TrustChangedFlag(Optional.empty());

  // O_EXCL creates or fails; it never opens what is there, and never follows a link.
  private static final Set<OpenOption> CREATE =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

  private final Optional<Path> file;

  /** Whether the last attempt failed; then its failures are no longer warnings. */
  private boolean failing;

  private TrustChangedFlag(Optional<Path> file) {
    this.file = file;
  }

  /** No flag: {@link #raise} does nothing. */
  public static TrustChangedFlag none() {
    return NONE;
  }

  /** The flag at {@code file}, an absolute path. */
  public static TrustChangedFlag at(Path file) {
    if (!file.isAbsolute() || file.getFileName() == null) {
      throw new IllegalArgumentException("the flag must be an absolute file path, not " + file);
    }
    return new TrustChangedFlag(Optional.of(file));
  }

  /** Creates the flag unless it exists; a failure is logged, never thrown. */
  synchronized void raise() {
    if (file.isEmpty()) {
      return;
    }
    Path flag = file.get();
    Optional<String> problem = create(flag);
    if (problem.isEmpty()) {
      if (failing) {
        failing = false;
        log.info("raised the trust-changed flag {} again", flag);
      }
    } else if (!failing) {
      failing = true;
      log.warn(
          "cannot raise the trust-changed flag {}: {}; the change stands, but"
              + " paird-trust-changed may not run its programs for it (further failures are"
              + " logged at debug level until the flag is raised again)",
          flag,
          problem.get());
    } else {
      log.debug("still cannot raise the trust-changed flag {}: {}", flag, problem.get());
    }
  }

  /** Creates {@code flag} or finds it a regular file; otherwise, why not. */
  private static Optional<String> create(Path flag) {
    try {
      FileChannel.open(flag, CREATE, PosixFilePermissions.asFileAttribute(AtomicFiles.PUBLIC))
          .close();
      return Optional.empty();
    } catch (FileAlreadyExistsException e) {
      return existing(flag);
    } catch (NoSuchFileException e) {
      return Optional.of("its directory " + flag.getParent() + " does not exist");
    } catch (IOException e) {
      return Optional.of(FileProblems.reason(e, flag));
    }
  }

  /** Nothing if {@code flag}, which exists, is a regular file: raised already. */
  private static Optional<String> existing(Path flag) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(flag, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return Optional.of(FileProblems.reason(e, flag));
    }
    if (attributes.isRegularFile()) {
      return Optional.empty();
    }
    return Optional.of(
        attributes.isSymbolicLink()
            ? "a symbolic link is in its place, which paird does not follow"
            : "something other than a regular file is in its place");
  }
}
