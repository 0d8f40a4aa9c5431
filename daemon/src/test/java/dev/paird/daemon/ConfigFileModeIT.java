package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SECURITY.md, "Hostile or damaged local files": whoever may change paird's config file, or put
 * another in its place, decides who may use the control socket and which key paird presents. A
 * config file, or a directory above it, that another user owns or that every user may write to
 * stops paird before it creates anything; one that its group may write to is used, with a warning.
 * A FIFO, a device or a pipe is checked, and its size bounded, as a regular file is. Real pairds
 * started on config files the test gives those modes.
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
    run("chmod", "1777", sticky.toString());
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
    Path config = giveToNobody(config(dir, "rw-r--r--"));

    PairdProcess paird = refused(config);

    assertThat(paird.log())
        .contains("config file " + config + ": it belongs neither to root nor to uid 0")
        .contains("owner nobody");
  }

  /**
   * A FIFO is checked as a regular file is: one of another user's is refused without being opened,
   * while a writer waits to give paird its settings through it.
   */
  @Test
  void configFifoOwnedByAnotherUser_isRefusedAsTheirRegularFileIs() throws Exception {
    Path config = dir.resolve("p.conf");
    run("mkfifo", "-m", "644", config.toString());
    giveToNobody(config);
    Process writer =
        new ProcessBuilder("sh", "-c", "printf 'log_level = info\\n' > \"$0\"", config.toString())
            .start();
    try {
      PairdProcess paird = refused(config);

      assertThat(paird.log())
          .contains("config file " + config + ": it belongs neither to root nor to uid 0")
          .contains("owner nobody");
      assertThat(writer.isAlive()).as("the writer, still waiting for a reader").isTrue();
    } finally {
      writer.destroyForcibly();
    }
  }

  /** A device has no size to check before reading: what is read is bounded instead. */
  @Test
  void configLinkToDevZero_isRefusedBySize() throws Exception {
    Path config = Files.createSymbolicLink(dir.resolve("zero.conf"), Path.of("/dev/zero"));

    PairdProcess paird = refused(config);

    assertThat(paird.log())
        .contains("config file " + config + " is larger than 65536 bytes")
        .doesNotContain("OutOfMemoryError");
  }

  /**
   * The pipe of the shell's {@code <(...)} belongs to whoever started paird, and is read as a file
   * is: here one with a setting out of range, refused naming the pipe's line.
   */
  @Test
  void configFromAPipeOfTheShell_isReadLikeAFile() throws Exception {
    PairdProcess paird = refusedReadingPipe("printf 'max_attempts = 11\\n'");

    assertThat(paird.log()).contains("/dev/fd/3:1: ").contains("max_attempts");
  }

  /** A pipe's bytes are bounded as a file's are. */
  @Test
  void configFromAPipeOverTheBound_isRefusedBySize() throws Exception {
    PairdProcess paird = refusedReadingPipe("yes '# comment' | head -c 65537");

    assertThat(paird.log()).contains("config file /dev/fd/3 is larger than 65536 bytes");
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).inheritIO().start();
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("%s finished", command[0]).isTrue();
    assertThat(process.exitValue()).as("%s", String.join(" ", command)).isZero();
  }

  /** A config file in {@code where} with mode {@code permissions}, setting only the log level. */
  private static Path config(Path where, String permissions) throws Exception {
    Path config = Files.writeString(where.resolve("paird.conf"), "log_level = info\n");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString(permissions));
    return config;
  }

  /** {@code file}, now nobody's; the test is skipped unless it runs as root, who can do that. */
  private static Path giveToNobody(Path file) throws Exception {
    assumeTrue(
        Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0),
        "needs root to give a file to another user");
    UserPrincipal nobody =
        file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(file, nobody);
    return file;
  }

  private PairdProcess refused(Path config) throws Exception {
    return refused(config, List.of());
  }

  /** As {@link #refused(Path)}, with the pipe of the shell's {@code <(command)} as the config. */
  private PairdProcess refusedReadingPipe(String command) throws Exception {
    // As descriptor 3, not bash's choice: the pipe's name is then known before paird starts.
    return refused(
        Path.of("/dev/fd/3"), List.of("bash", "-c", "exec \"$@\" 3< <(" + command + ")", "bash"));
  }

  private PairdProcess refused(Path config, List<String> wrapper) throws Exception {
    Path home = dir.resolve("refused");
    PairdProcess paird = PairdProcess.in(home).config(config).wrapper(wrapper).launch();
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
