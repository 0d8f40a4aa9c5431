package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.api.ControlProtocol.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SECURITY.md, "The control socket": paird serves its socket only in a directory that nobody but
 * root and paird's own user may write to. Whoever else may write there could put a socket of their
 * own at the path, at once or while paird is stopped, and receive the keys pairctl sends. These
 * tests run as root, so "another user" is a directory's mode (0777, 1777, 0770) or its owner (uid
 * 65534, given by chown).
 */
final class SocketDirectoryIT {
  @TempDir Path tmp;

  @RegisterExtension final StartedPairds started = new StartedPairds();

  /** The uid these tests, and the pairds they start, run as. */
  private static int self() throws Exception {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  private static Path directory(Path path, int mode) throws Exception {
    Files.createDirectory(path);
    // Not through mkdir's mode: the umask would narrow it.
    Files.setAttribute(path, "unix:mode", mode);
    return path;
  }

  /**
   * Launches paird on {@code socket}, expects it to stop with status 78 before it made anything,
   * and returns the reason it logged.
   */
  private String refused(Path socket) throws Exception {
    PairdProcess paird = started.add(PairdProcess.in(tmp).socket(socket).launch());

    assertThat(paird.awaitReadyOrEnd()).as("paird started; its log:\n%s", paird.log()).isFalse();
    assertThat(paird.awaitExit()).isEqualTo(78);
    assertThat(socket).doesNotExist();
    // Refused before it did anything: no state directory, so no identity made for nothing.
    assertThat(tmp.resolve("state")).doesNotExist();
    return paird.awaitLogLine(
        line -> line.contains("cannot start: --socket: "),
        "saying why",
        PairdProcess.START_TIMEOUT);
  }

  @ParameterizedTest
  @CsvSource({
    "0777, every user",
    "0770, its group's members",
  })
  void socketDirectoryOthersMayWriteTo_isRefused_namingItTheModeAndTheFix(String mode, String who)
      throws Exception {
    Path shared = directory(tmp.resolve("shared"), Integer.parseInt(mode, 8));
    Path socket = shared.resolve("control.sock");

    assertThat(refused(socket))
        .contains(
            "cannot start: --socket: the control socket's directory "
                + shared.toRealPath()
                + " may be written to by "
                + who
                + " (owner uid "
                + self()
                + ", mode "
                + mode
                + "), and any of them could put a socket of their own at "
                + socket
                + " and receive the keys that pairctl sends to paird; run `chmod go-w "
                + shared.toRealPath()
                + "` if nobody else needs to write there, or choose a socket path in a directory"
                + " that only root or paird's user may write to, such as"
                + " /run/paird/control.sock");
  }

  /**
   * As /tmp: nobody can take paird's socket from it while it runs, but its name is free whenever
   * paird is stopped, for any user to take. So chmod is not the fix offered.
   */
  @Test
  void stickySocketDirectoryEveryUserMayWriteTo_isRefused() throws Exception {
    Path shared = directory(tmp.resolve("shared"), 01777);
    Path socket = shared.resolve("control.sock");

    assertThat(refused(socket))
        .contains(
            "cannot start: --socket: the control socket's directory "
                + shared.toRealPath()
                + " may be written to by every user (owner uid "
                + self()
                + ", mode 1777), and any of them could put a socket of their own at "
                + socket
                + " while paird is stopped and receive the keys that pairctl sends to paird;"
                + " choose a socket path in a directory")
        .doesNotContain("chmod");
  }

  /** Whoever may write above the socket's directory may rename it and put another in its place. */
  @Test
  void socketDirectoryToBeMadeInADirectoryEveryUserMayWriteTo_isRefused_andNotMade()
      throws Exception {
    Path shared = directory(tmp.resolve("shared"), 0777);
    Path socket = shared.resolve("paird/control.sock");

    assertThat(refused(socket))
        .contains(
            "cannot start: --socket: the directory "
                + shared.toRealPath()
                + " above the control socket may be written to by every user (owner uid "
                + self()
                + ", mode 0777)");
    assertThat(shared.resolve("paird")).doesNotExist();
  }

  @Test
  void socketDirectoryOfAnotherUser_isRefused() throws Exception {
    assumeTrue(self() == 0, "needs root to give the directory to another user");
    Path theirs = directory(tmp.resolve("theirs"), 0755);
    Files.setAttribute(theirs, "unix:uid", 65534);

    assertThat(refused(theirs.resolve("control.sock")))
        .contains(
            "cannot start: --socket: the control socket's directory "
                + theirs.toRealPath()
                + " belongs neither to root nor to uid 0 that paird runs as (owner uid 65534, mode"
                + " 0755), and its owner could put a socket of their own at");
  }

  /**
   * A directory of its own made in a sticky one is served: others cannot rename or remove what is
   * paird's there, nor write in it, and the socket is reached as usual.
   */
  @Test
  void socketDirectoryMadeInAStickyDirectory_isServed() throws Exception {
    Path shared = directory(tmp.resolve("shared"), 01777);
    PairdProcess.Options options =
        PairdProcess.in(tmp).socket(shared.resolve("paird/control.sock"));
    started.add(options.start());

    assertThat(options.pairctl().look(Command.STATUS).path("pending_keys").intValue()).isZero();
    assertThat(Files.getAttribute(shared.resolve("paird"), "unix:mode")).isEqualTo(040755);
  }
}
