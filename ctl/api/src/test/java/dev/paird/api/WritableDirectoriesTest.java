package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rule on real directories: modes and owners set with chmod and chown, as root where needed.
 */
final class WritableDirectoriesTest {
  @TempDir Path tmp;

  private Path dir(Path parent, String name, int mode) throws Exception {
    Path dir = Files.createDirectory(parent.resolve(name));
    Files.setAttribute(dir, "unix:mode", mode);
    return dir.toRealPath();
  }

  private static IntPredicate self() throws Exception {
    return WritableDirectories.rootOr(
        (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
  }

  @Test
  void privateDirectories_passUpToTheRoot() throws Exception {
    Path inner = dir(dir(tmp, "a", 0755), "b", 0700);

    assertThat(WritableDirectories.check(inner, self(), false)).isEmpty();
  }

  @Test
  void groupWritableDirectory_isTheFlawFound_evenAboveAPrivateOne() throws Exception {
    Path shared = dir(tmp, "shared", 0775);
    Path inner = dir(shared, "mine", 0700);

    Optional<WritableDirectories.Flaw> flaw = WritableDirectories.check(inner, self(), false);

    assertThat(flaw).isPresent();
    assertThat(flaw.get().directory()).isEqualTo(shared);
    assertThat(flaw.get().first()).isFalse();
    assertThat(flaw.get().foreignOwner()).isFalse();
    assertThat(flaw.get().writers()).isEqualTo("its group's members");
    assertThat(flaw.get().state()).endsWith(", mode 0775)");
  }

  /** As /tmp: above the path, or where only its owner's files are looked for, it may stay. */
  @Test
  void stickyDirectoryEveryoneMayWriteTo_passesAbove_andFirstOnlyIfAllowed() throws Exception {
    Path sticky = dir(tmp, "sticky", 01777);
    Path inner = dir(sticky, "mine", 0755);

    assertThat(WritableDirectories.check(inner, self(), false)).isEmpty();
    assertThat(WritableDirectories.check(sticky, self(), true)).isEmpty();
    Optional<WritableDirectories.Flaw> first = WritableDirectories.check(sticky, self(), false);
    assertThat(first).isPresent();
    assertThat(first.get().first()).isTrue();
    assertThat(first.get().writers()).isEqualTo("every user");
    assertThat(first.get().state()).endsWith(", mode 1777)");
  }

  @Test
  void directoryOfAnotherUser_isAFlawWhateverItsMode() throws Exception {
    assumeTrue(
        Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0),
        "needs root to give a directory to another user");
    Path theirs = dir(tmp, "theirs", 0700);
    Files.setAttribute(theirs, "unix:uid", 65534);

    Optional<WritableDirectories.Flaw> flaw =
        WritableDirectories.check(theirs, WritableDirectories.rootOr(), false);

    assertThat(flaw).isPresent();
    assertThat(flaw.get().foreignOwner()).isTrue();
    assertThat(flaw.get().state()).isEqualTo(" (owner uid 65534, mode 0700)");
    assertThat(WritableDirectories.check(theirs, WritableDirectories.rootOr(65534), false))
        .isEmpty();
  }

  /** Anyone may make a directory in /tmp: there its owner may need to be one of fewer users. */
  @Test
  void directoryInAStickyOne_mustBelongToAUserTrustedThere() throws Exception {
    assumeTrue(
        Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0),
        "needs root to give a directory to another user");
    Path sticky = dir(tmp, "sticky", 01777);
    Path theirs = dir(sticky, "theirs", 0755);
    Files.setAttribute(theirs, "unix:uid", 65534);
    IntPredicate trusted = WritableDirectories.rootOr(65534);

    Optional<WritableDirectories.Flaw> flaw =
        WritableDirectories.check(theirs, trusted, WritableDirectories.rootOr(), false);

    assertThat(flaw).isPresent();
    assertThat(flaw.get().directory()).isEqualTo(theirs);
    assertThat(flaw.get().inShared()).isTrue();
    assertThat(WritableDirectories.check(theirs, trusted, false)).isEmpty();
  }

  @Test
  void fileOnTheWay_isNotADirectory() throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "");

    assertThatThrownBy(() -> WritableDirectories.check(file, self(), false))
        .isInstanceOf(NotDirectoryException.class);
  }
}
