package dev.paird.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The {@code <N>} syslog priority prefix that journald reads from a service's output, so {@code
 * journalctl -p warning} works without a timestamp of our own in each line.
 */
public final class SdPriorityConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    int level = event.getLevel().toInt();
    if (level >= Level.ERROR_INT) {
      return "<3>";
    }
    if (level >= Level.WARN_INT) {
      return "<4>";
    }
    if (level >= Level.INFO_INT) {
      return "<6>";
    }
    return "<7>";
  }
}
