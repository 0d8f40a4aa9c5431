package dev.paird.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the log format before the first logger exists, and the level once the configuration is
 * read. Under systemd (which sets {@code JOURNAL_STREAM}) lines carry a priority prefix and no
 * timestamp, because journald adds its own; on a terminal they carry a timestamp.
 */
final class Logging {
  static final String PATTERN_PROPERTY = "paird.log.pattern";
  private static final String JOURNAL = "%sdprio%logger{0}: %msg%n";
  private static final String TERMINAL =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0}: %msg%n";

  private Logging() {}

  /** Must run before anything touches SLF4J. */
  static void chooseFormat() {
    if (System.getProperty(PATTERN_PROPERTY) == null) {
      boolean journal = System.getenv("JOURNAL_STREAM") != null;
      System.setProperty(PATTERN_PROPERTY, journal ? JOURNAL : TERMINAL);
    }
  }

  /**
   * Sets the root logger's level, which paird's own loggers inherit. Netty's keeps the WARN that
   * logback.xml gives it, whatever the level.
   */
  static void setLevel(String level) {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level, Level.INFO));
  }
}
