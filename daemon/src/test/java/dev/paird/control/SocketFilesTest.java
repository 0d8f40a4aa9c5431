package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What paird says when it cannot put its control socket where it was told to. */
final class SocketFilesTest {
  @TempDir Path dir;

  @Test
  void prepare_directoryThatCannotBeMade_saysWhyWithoutTheJdksText() throws Exception {
    Path file = Files.createFile(dir.resolve("file"));
    Path socket = file.resolve("run/control.sock");

    assertThatThrownBy(() -> SocketFiles.prepare(socket))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_INVALID))
        .hasMessageStartingWith("cannot create the socket's directory " + file.resolve("run"))
        .hasMessageNotContaining("Exception")
        .hasMessageNotContaining(file.resolve("run") + ": " + file.resolve("run"));
  }

  @Test
  void privateDirectory_inADirectoryThatIsGone_saysWhyWithoutTheJdksText() {
    Path socket = dir.resolve("gone/control.sock");

    assertThatThrownBy(() -> SocketFiles.privateDirectory(socket))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_INVALID))
        .hasMessage(
            "cannot create a private directory for the control socket in "
                + dir.resolve("gone")
                + ": no such file");
  }

  @Test
  void moveIntoPlace_boundSocketThatIsGone_saysWhyWithoutTheJdksText() {
    Path bound = dir.resolve("private/s");
    Path socket = dir.resolve("control.sock");

    assertThatThrownBy(() -> SocketFiles.moveIntoPlace(bound, socket))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_INVALID))
        .hasMessageStartingWith("cannot move the control socket into place at " + socket + ": ")
        .hasMessageNotContaining("Exception");
  }

  @Test
  void restrict_socketThatIsGone_saysWhyWithoutTheJdksText() {
    Path socket = dir.resolve("control.sock");

    assertThatThrownBy(() -> SocketFiles.restrict(socket, Optional.empty()))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_INVALID))
        .hasMessage(
            "cannot set the owner group or mode of the control socket "
                + socket
                + ": no such file");
  }
}
