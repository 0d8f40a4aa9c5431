package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SECURITY.md, "Hostile or damaged local files": whoever may change paird's config file, or put
 * another in its place, decides who may use the control socket and which key paird presents. A
 * config file, or a directory above it, that another user owns or that every user may write to
 * stops paird before it creates anything; one that its group may write to is used, with a warning.
 * Real pairds started on config files the test gives those modes.
 */
final class ConfigFileModeIT {
  @TempDir Path dir;
  @RegisterExtension final StartedPairds started = new StartedPairds();

  @Test
  void configEveryUserMayChange_isRefusedBeforeAnythingIsMade() throws Exception {
    Path config = config(dir, "rw-rw-rw-");

    PairdProcess paird = refused(config);

    assertThat(paird.log())
        .contains("config file " + config + ": every user may change it")
        .contains("mode 0666")
        .contains("`chmod o-w " + config + "`");
  }

  @Test
  void configInADirectoryEveryUserMayWriteTo_isRefusedNamingTheDirectory() throws Exception {
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path config = config(open, "rw-r--r--");

    PairdProcess paird = refused(config);

    assertThat(paird.log())
        .contains("every user may write to the directory " + open + " above it")
        .contains("`chmod o-w " + open + "`");
  }

  @Test
  void configInAStickyDirectoryEveryUserMayWriteTo_isUsed() throws Exception {
    Path sticky = Files.createDirectory(dir.resolve("sticky"));
    // Java's permission sets have no sticky bit.
    Process chmod = new ProcessBuilder("chmod", "1777", sticky.toString()).inheritIO().start();
    assertThat(chmod.waitFor(10, TimeUnit.SECONDS)).as("chmod 1777 finished").isTrue();
    assertThat(chmod.exitValue()).as("chmod 1777").isZero();
    Path config = config(sticky, "rw-r--r--");

    PairdProcess paird = start(config);

    assertThat(paird.log()).doesNotContain(" WARN ");
  }

  @Test
  void configItsGroupMayChange_isUsedWithAWarningNamingTheGroup() throws Exception {
    Path config = config(dir, "rw-rw-r--");
    String group = Files.readAttributes(config, PosixFileAttributes.class).group().getName();

    PairdProcess paird = start(config);

    assertThat(paird.log())
        .contains(
            " WARN  ConfigFile: config file "
                + config
                + ": every member of the group "
                + group
                + " may change it");
  }

  @Test
  void configOwnedByAnotherUser_isRefused() throws Exception {
    assumeTrue(
        Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0),
        "needs root to give the config file to another user");
    Path config = config(dir, "rw-r--r--");
    UserPrincipal nobody =
        config.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(config, nobody);

    PairdProcess paird = refused(config);

    assertThat(paird.log())
        .contains("config file " + config + ": it belongs neither to root nor to uid 0")
        .contains("owner nobody");
  }

  /** A config file in {@code where} with mode {@code permissions}, setting only the log level. */
  private static Path config(Path where, String permissions) throws Exception {
    Path config = Files.writeString(where.resolve("paird.conf"), "log_level = info\n");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString(permissions));
    return config;
  }

  private PairdProcess refused(Path config) throws Exception {
    Path home = dir.resolve("refused");
    PairdProcess paird = PairdProcess.in(home).config(config).launch();
    started.add(paird);
    assertThat(paird.awaitExit()).as("exit status; log:\n%s", paird.log()).isEqualTo(78);
    assertThat(home.resolve("state")).doesNotExist();
    return paird;
  }

  private PairdProcess start(Path config) throws Exception {
    PairdProcess paird = PairdProcess.in(dir.resolve("started")).config(config).start();
    started.add(paird);
    return paird;
  }
}
