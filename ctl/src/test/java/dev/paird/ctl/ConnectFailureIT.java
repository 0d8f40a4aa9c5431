package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.PairdException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * pairctl run as the user nobody against sockets it may or may not use: what {@link
 * ConnectFailureTest} checks of the classification, seen from a real process. Root may open any
 * socket, so EACCES can only be seen from another user.
 */
final class ConnectFailureIT {
  @TempDir Path dir;

  @Test
  void pairctlAsNobody_socketOpenToAll_connects() throws Exception {
    Path socket = dir.resolve("open.sock");
    try (FakeDaemon paird = FakeDaemon.start(socket, FakeDaemon.ok("{\"pending_keys\":0}"))) {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));

      Run run = asNobody("--socket", socket.toString(), "--json", "status");

      assertThat(run.status).as(run.err).isZero();
      assertThat(run.out).isEqualTo("{\"pending_keys\":0}\n");
    }
  }

  @Test
  void pairctlAsNobody_socketOfAnotherGroup_exitsPermissionDeniedNamingIt() throws Exception {
    Path socket = dir.resolve("daemon.sock");
    try (FakeDaemon paird = FakeDaemon.start(socket)) {
      restrict(socket, "daemon");

      Run run = asNobody("--socket", socket.toString(), "status");

      assertThat(run.status).isEqualTo(4);
      assertThat(run.err)
          .isEqualTo(
              "pairctl: you may not use "
                  + socket
                  + "; ask an"
                  + " administrator to add you to the socket's group ('daemon': sudo usermod -aG daemon"
                  + " $USER, then log in again)\n");
    }
  }

  @Test
  void pairctlAsNobody_socketOfGroupRoot_exitsPermissionDenied() throws Exception {
    Path socket = dir.resolve("root.sock");
    try (FakeDaemon paird = FakeDaemon.start(socket)) {
      restrict(socket, "root");

      Run run = asNobody("--socket", socket.toString(), "status");

      assertThat(run.status).isEqualTo(4);
      assertThat(run.err).contains("its group is 'root'");
    }
  }

  @Test
  void pairctlAsNobody_socketInADirectoryItMayNotEnter_exitsPermissionDenied() throws Exception {
    Path hidden =
        Files.createDirectory(
            dir.resolve("hidden"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path socket = hidden.resolve("control.sock");
    try (FakeDaemon paird = FakeDaemon.start(socket)) {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));

      Run run = asNobody("--socket", socket.toString(), "--json", "status");

      assertThat(run.status).isEqualTo(4);
      assertThat(run.out).startsWith("{\"error\":{\"code\":\"permission_denied\"");
      assertThat(run.err).contains("(usually 'paird': sudo usermod -aG paird $USER");
    }
  }

  private record Run(int status, String out, String err) {}

  private static final int NOBODY = 65534;
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  private static void restrict(Path socket, String group) throws IOException {
    GroupPrincipal principal;
    try {
      principal =
          socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
    } catch (UserPrincipalNotFoundException e) {
      assumeTrue(false, "no group '" + group + "' on this system");
      return;
    }
    Files.getFileAttributeView(socket, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setGroup(principal);
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
  }

  /** Runs pairctl, from a copy of its class path nobody may read, as nobody:nogroup. */
  private Run asNobody(String... args) throws Exception {
    Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    assumeTrue(
        uid.equals(0) && Files.isExecutable(SETPRIV),
        "needs root and setpriv to run pairctl as another user");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path lib = dir.resolve("lib");
    if (!Files.exists(lib)) {
      Files.createDirectory(lib);
      for (Class<?> type :
          List.of(
              PairCtl.class,
              PairdException.class,
              JsonFactory.class,
              JsonNode.class,
              JsonProperty.class,
              CommandLine.class)) {
        copy(Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()), lib);
      }
    }
    List<String> command =
        new ArrayList<>(
            List.of(
                SETPRIV.toString(),
                "--reuid=" + NOBODY,
                "--regid=" + NOBODY,
                "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                lib + "/classes:" + lib + "/*",
                PairCtl.class.getName()));
    command.addAll(List.of(args));
    Path out = dir.resolve("out");
    Path err = dir.resolve("err");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("pairctl finished").isTrue();
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  /**
   * A jar into lib, or a classes directory (pairctl's and paird-api's, from the build) merged into
   * lib/classes.
   */
  private static void copy(Path codeSource, Path lib) throws IOException {
    if (Files.isRegularFile(codeSource)) {
      Files.copy(codeSource, lib.resolve(codeSource.getFileName()));
      return;
    }
    Path classes = lib.resolve("classes");
    try (Stream<Path> files = Files.walk(codeSource)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path target = classes.resolve(codeSource.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target);
        }
      }
    }
  }
}
