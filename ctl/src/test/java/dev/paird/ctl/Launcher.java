package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

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
    ProcessBuilder builder =
        new ProcessBuilder(Stream.concat(Stream.of(PAIRCTL.toString()), args.stream()).toList())
            .directory(workingDirectory.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("PAIRD_") || name.startsWith("PAIRCTL_"));
    env.put("PAIRD_CDS", "off");
    Process process =
        builder
            .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile())
            .start();
    boolean finished = process.waitFor(60, TimeUnit.SECONDS);
    if (!finished) {
      process.destroyForcibly();
    }
    assertThat(finished).as("pairctl finished").isTrue();
    return new Run(process.exitValue(), Files.readString(err));
  }
}
