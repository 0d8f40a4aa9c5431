package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.SocketFile;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class ConnectFailureTest {
  private static final Path SOCKET = Path.of("/run/paird/control.sock");
  private static final SocketFile LOCKED_PAIRD_SOCKET =
      new SocketFile(SocketFile.Kind.SOCKET, Optional.of("paird"), false);

  @TempDir Path dir;

  @Test
  void classify_accessDenied_isPermissionDeniedNamingTheGroup() {
    PairdException e =
        ConnectFailure.classify(
            SOCKET, new BindException("Permission denied"), LOCKED_PAIRD_SOCKET);

    assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
    assertThat(e.code().exitStatus().code()).isEqualTo(4);
    assertThat(e.getMessage())
        .isEqualTo(
            "you may not use /run/paird/control.sock; ask an"
                + " administrator to add you to the socket's group ('paird': sudo usermod -aG paird"
                + " $USER, then log in again)");
  }

  @Test
  void isTransient_aUsableSocketThatFailedToConnect_isTheBacklogBeingFull() {
    SocketFile usable = new SocketFile(SocketFile.Kind.SOCKET, Optional.of("paird"), true);

    // EAGAIN, in whatever words the C library uses.
    assertThat(
            ConnectFailure.isTransient(
                new SocketException("Ressource temporairement" + " indisponible"), usable))
        .isTrue();
    assertThat(ConnectFailure.isTransient(new ConnectException("refused"), usable)).isFalse();
    assertThat(ConnectFailure.isTransient(new BindException("denied"), usable)).isFalse();
    assertThat(ConnectFailure.isTransient(new SocketException("x"), LOCKED_PAIRD_SOCKET)).isFalse();
    assertThat(
            ConnectFailure.isTransient(
                new SocketException("x"),
                new SocketFile(SocketFile.Kind.MISSING, Optional.empty(), false)))
        .isFalse();
  }

  @Test
  void classify_socketThisUserMayNotWrite_isPermissionDenied_whateverTheMessageSays() {
    // The JDK's message is the C library's, which may be translated.
    PairdException e =
        ConnectFailure.classify(
            SOCKET, new SocketException("Keine Berechtigung"), LOCKED_PAIRD_SOCKET);

    assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
  }

  @Test
  void classify_socketOfGroupRoot_suggestsRootOrAnotherGroup() {
    PairdException e =
        ConnectFailure.classify(
            SOCKET,
            new BindException("Permission denied"),
            new SocketFile(SocketFile.Kind.SOCKET, Optional.of("root"), false));

    assertThat(e.getMessage())
        .isEqualTo(
            "you may not use /run/paird/control.sock; its group is"
                + " 'root': run pairctl as root, or ask an administrator to set socket_group in paird's"
                + " configuration to a group you are in");
  }

  @Test
  void classify_directoryThisUserMayNotEnter_isPermissionDeniedWithTheUsualGroup() {
    PairdException e =
        ConnectFailure.classify(
            SOCKET,
            new BindException("Permission denied"),
            new SocketFile(SocketFile.Kind.HIDDEN, Optional.empty(), false));

    assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
    assertThat(e.getMessage())
        .endsWith(
            "ask an administrator to add you to the socket's group"
                + " (usually 'paird': sudo usermod -aG paird $USER, then log in again)");
  }

  @Test
  void classify_refused_isNothingListening() {
    PairdException e =
        ConnectFailure.classify(
            SOCKET,
            new ConnectException("Connection refused"),
            new SocketFile(SocketFile.Kind.SOCKET, Optional.of("paird"), true));

    assertThat(e.code()).isEqualTo(ErrorCode.DAEMON_UNREACHABLE);
    assertThat(e.code().exitStatus().code()).isEqualTo(3);
    assertThat(e.getMessage())
        .startsWith("nothing is listening on /run/paird/control.sock; paird may have crashed");
  }

  @Test
  void classify_refusedByAFileThatIsNoSocket_saysSo() {
    PairdException e =
        ConnectFailure.classify(
            SOCKET,
            new ConnectException("Connection refused"),
            new SocketFile(SocketFile.Kind.NOT_A_SOCKET, Optional.of("root"), true));

    assertThat(e.getMessage()).startsWith("/run/paird/control.sock is not a socket");
  }

  @Test
  void classify_missing_isNotRunning_whateverTheMessageSays() {
    PairdException e =
        ConnectFailure.classify(
            SOCKET,
            new SocketException("Datei oder Verzeichnis nicht gefunden"),
            new SocketFile(SocketFile.Kind.MISSING, Optional.empty(), false));

    assertThat(e.code()).isEqualTo(ErrorCode.DAEMON_UNREACHABLE);
    assertThat(e.getMessage())
        .startsWith(
            "paird is not running (no socket at"
                + " /run/paird/control.sock); start it with 'systemctl start paird'");
  }

  @Test
  void classify_somethingElse_isUnreachableWithTheMessage() {
    PairdException e =
        ConnectFailure.classify(
            SOCKET,
            new SocketException("Resource temporarily unavailable"),
            new SocketFile(SocketFile.Kind.SOCKET, Optional.of("paird"), true));

    assertThat(e.code()).isEqualTo(ErrorCode.DAEMON_UNREACHABLE);
    assertThat(e.getMessage())
        .isEqualTo("cannot connect to /run/paird/control.sock: Resource temporarily unavailable");
  }
}
