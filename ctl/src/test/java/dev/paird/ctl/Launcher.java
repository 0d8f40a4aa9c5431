package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The launcher packaging/bin/pairctl as a person runs it, without a class-data archive of its own
 * and without the PAIRD_ and PAIRCTL_ variables of whoever runs the build.
 */
final class Launcher {
  static final Path PAIRCTL =
      Path.of(System.getProperty("user.dir")).getParent().resolve("packaging/bin/pairctl");

  private Launcher() {}

  /** How a run ended: its exit status and its standard error. */
  record Run(int status, String err) {}

  /**
   * Runs pairctl with {@code args} in {@code workingDirectory}, reading {@code stdin}, its stderr
   * kept in {@code err}; waits for it.
   */
  static Run run(Path workingDirectory, Path stdin, Path err, List<String> args) throws Exception {
    return run(workingDirectory, stdin, err, args, Map.of());
  }

  /** As {@link #run(Path, Path, Path, List)}, with {@code environment} added to pairctl's. */
  static Run run(
      Path workingDirectory,
      Path stdin,
      Path err,
      List<String> args,
      Map<String, String> environment)
      throws Exception {
    return run(
        workingDirectory, stdin, ProcessBuilder.Redirect.DISCARD, err, command(args), environment);
  }

  /** The same with its standard output going to {@code out}, such as /dev/full. */
  static Run run(Path workingDirectory, File out, Path err, List<String> args) throws Exception {
    return run(
        workingDirectory,
        Path.of("/dev/null"),
        ProcessBuilder.Redirect.to(out),
        err,
        command(args),
        Map.of());
  }

  /**
   * The same with its standard output a pipe whose reader has gone, as {@code pairctl ... | head
   * -1} leaves it once head has its line. This side of the pipe is closed at once; a shell in front
   * of pairctl writes to it until a write fails, so that pairctl starts only once nobody reads,
   * then becomes pairctl.
   */
  static Run runIntoClosedPipe(Path workingDirectory, Path err, List<String> args)
      throws Exception {
    List<String> command =
        Stream.concat(
                Stream.of(
                    "/bin/sh",
                    "-c",
                    "trap '' PIPE; while printf x 2>/dev/null; do :; done; exec \"$@\"",
                    "sh"),
                command(args).stream())
            .toList();
    return run(
        workingDirectory,
        Path.of("/dev/null"),
        ProcessBuilder.Redirect.PIPE,
        err,
        command,
        Map.of());
  }

  private static List<String> command(List<String> args) {
    return Stream.concat(Stream.of(PAIRCTL.toString()), args.stream()).toList();
  }

  private static Run run(
      Path workingDirectory,
      Path stdin,
      ProcessBuilder.Redirect out,
      Path err,
      List<String> command,
      Map<String, String> environment)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("PAIRD_") || name.startsWith("PAIRCTL_"));
    env.put("PAIRD_CDS", "off");
    env.putAll(environment);
    Process process =
        builder
            .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()))
            .redirectOutput(out)
            .redirectError(err.toFile())
            .start();
    // Its reader gone, if it is a pipe: the one end this test holds.
    process.getInputStream().close();
    boolean finished = process.waitFor(60, TimeUnit.SECONDS);
    if (!finished) {
      process.destroyForcibly();
    }
    assertThat(finished).as("pairctl finished").isTrue();
    return new Run(process.exitValue(), Files.readString(err));
  }
}
