package dev.paird.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the log level once the configuration is read; {@link LogConfigurator} chooses the format
 * when the first logger is made.
 */
final class Logging {
  private Logging() {}

  /**
   * Sets logging up on the calling thread, before any other thread exists. While SLF4J is being set
   * up it hands out stand-in loggers, which {@link #setLevel} cannot configure; the warm-up
   * thread's libraries log too, and a start that raced it failed with a ClassCastException.
   */
  static void start() {
    LoggerFactory.getILoggerFactory();
  }

  /**
   * Sets the root logger's level, which paird's own loggers inherit. Netty's keeps the WARN that
   * {@link LogConfigurator} gives it, whatever the level.
   */
  static void setLevel(String level) {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level, Level.INFO));
  }
}
