package dev.paird.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command-line tool (openssl, keytool) and keeps its exit status and output. */
public final class Processes {
  private static final long TIMEOUT_SECONDS = 60;

  /** What a finished command left: its exit status and its output and errors together. */
  public record Result(int exitStatus, String output) {}

  private Processes() {}

  public static Result run(String... command) {
    return run(List.of(command));
  }

  public static Result run(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(command + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + command, e);
    }
  }
}
