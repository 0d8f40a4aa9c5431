package dev.paird.daemon;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.config.PairdConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The number of files paird may hold open at once, checked against the process's limit at start.
 *
 * <p>Every connection paird accepts or makes holds a file descriptor, and the settings bound how
 * many there can be. If the limit ({@code RLIMIT_NOFILE}) is lower than what those settings allow,
 * paird would run until a busy moment and then fail to accept, to connect, or to write its trusted
 * list; so it refuses to start instead, saying what it needs and which settings make up the sum.
 */
final class FileBudget {
  /**
   * paird at rest: the JVM's own files (its modules, the class-data archive, the jars paird loads,
   * /dev/urandom), standard streams, the state lock, three event loops of three descriptors each
   * and the two listening sockets. 46 were open on an idle paird; the rest is room for jars loaded
   * later.
   */
  static final int AT_REST = 64;

  /** Name lookups (at most four at once, a socket each) and the trusted list's writes. */
  static final int LOOKUPS_AND_WRITES = 16;

  /** The line of {@code /proc/PID/limits} and its soft limit, unless that is "unlimited". */
  private static final Pattern SOFT_LIMIT = Pattern.compile("Max open files\\s+(\\d+)\\s");

  private FileBudget() {}

  /**
   * The most files {@code config} lets paird hold open: {@link #AT_REST}, one for each pairing
   * connection, two for each control connection (the connection and the pairing connection its
   * request may make), and {@link #LOOKUPS_AND_WRITES}.
   */
  static int required(PairdConfig config) {
    return AT_REST
        + config.maxConnections()
        + 2 * config.controlMaxConnections()
        + LOOKUPS_AND_WRITES;
  }

  /**
   * Refuses a limit below {@link #required}; an unknown limit (no {@code /proc}) passes.
   *
   * @throws PairdException CONFIG_INVALID naming the sum, its parts and the limit
   */
  static void check(PairdConfig config, OptionalLong limit) throws PairdException {
    int required = required(config);
    if (limit.isEmpty() || limit.getAsLong() >= required) {
      return;
    }
    throw new PairdException(
        ErrorCode.CONFIG_INVALID,
        "paird may need "
            + required
            + " open files ("
            + AT_REST
            + " at rest, "
            + config.maxConnections()
            + " for max_connections = "
            + config.maxConnections()
            + ", "
            + 2 * config.controlMaxConnections()
            + " for twice control_max_connections = "
            + config.controlMaxConnections()
            + ", and "
            + LOOKUPS_AND_WRITES
            + " for lookups and writes) but may open only "
            + limit.getAsLong()
            + "; raise the limit (LimitNOFILE= in the unit, `ulimit -n` in a shell) or lower those"
            + " settings");
  }

  /**
   * The soft limit on open files in {@code limits}, a {@code /proc/PID/limits} file; empty if the
   * file cannot be read, has no such line, or says unlimited.
   */
  static OptionalLong limit(Path limits) {
    List<String> lines;
    try {
      lines = Files.readAllLines(limits, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return OptionalLong.empty();
    }
    for (String line : lines) {
      Matcher soft = SOFT_LIMIT.matcher(line);
      if (soft.lookingAt()) {
        try {
          return OptionalLong.of(Long.parseLong(soft.group(1)));
        } catch (NumberFormatException e) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }

  /** {@link #limit(Path)} of this process. */
  static OptionalLong limit() {
    return limit(Path.of("/proc/self/limits"));
  }
}
