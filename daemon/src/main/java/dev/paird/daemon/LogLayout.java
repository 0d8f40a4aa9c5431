package dev.paird.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * paird's log line. Under systemd (which sets {@code JOURNAL_STREAM}) a line starts with the {@code
 * <N>} syslog priority that journald reads, so {@code journalctl -p warning} works, and carries no
 * timestamp, because journald adds its own; on a terminal it starts with an ISO 8601 timestamp and
 * the level. Then the logger's simple name and the message; a throwable's stack trace follows on
 * lines of its own.
 *
 * <p>Written out rather than given to logback's {@code PatternLayout}: parsing a pattern loads a
 * converter class per conversion word, and the two formats never change.
 */
final class LogLayout extends LayoutBase<ILoggingEvent> {
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", Locale.ROOT);

  private final boolean journal;
  private final ZoneId zone;

  LogLayout(boolean journal, ZoneId zone) {
    this.journal = journal;
    this.zone = zone;
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder line = new StringBuilder(128);
    if (journal) {
      line.append(priority(event.getLevel()));
    } else {
      TIMESTAMP.formatTo(Instant.ofEpochMilli(event.getTimeStamp()).atZone(zone), line);
      line.append(' ');
      String level = event.getLevel().toString();
      line.append(level);
      for (int i = level.length(); i < 5; i++) {
        line.append(' ');
      }
      line.append(' ');
    }
    String logger = event.getLoggerName();
    line.append(logger, logger.lastIndexOf('.') + 1, logger.length());
    line.append(": ").append(event.getFormattedMessage()).append('\n');
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.append(ThrowableProxyUtil.asString(thrown)).append('\n');
    }
    return line.toString();
  }

  /** The syslog priority prefix journald understands: err, warning, info or debug. */
  static String priority(Level level) {
    int value = level.toInt();
    if (value >= Level.ERROR_INT) {
      return "<3>";
    }
    if (value >= Level.WARN_INT) {
      return "<4>";
    }
    if (value >= Level.INFO_INT) {
      return "<6>";
    }
    return "<7>";
  }
}
