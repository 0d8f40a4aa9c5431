package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class LogLayoutTest {
  private static final ZoneId PLUS_ONE = ZoneOffset.ofHours(1);
  private final LoggerContext context = new LoggerContext();
  private final Logger logger = context.getLogger("dev.paird.daemon.Daemon");

  private LoggingEvent event(Level level, String message, Throwable thrown, Object... arguments) {
    LoggingEvent event = new LoggingEvent("test", logger, level, message, thrown, arguments);
    event.setTimeStamp(1_764_000_000_123L);
    return event;
  }

  @Test
  void journal_linesStartWithTheSyslogPriority_andCarryNoTimestamp() {
    LogLayout layout = new LogLayout(true, PLUS_ONE);
    assertThat(layout.doLayout(event(Level.WARN, "peer {} gone", null, "x")))
        .isEqualTo("<4>Daemon: peer x gone\n");
    assertThat(layout.doLayout(event(Level.ERROR, "e", null))).startsWith("<3>");
    assertThat(layout.doLayout(event(Level.INFO, "i", null))).startsWith("<6>");
    assertThat(layout.doLayout(event(Level.DEBUG, "d", null))).startsWith("<7>");
  }

  @Test
  void terminal_linesCarryAnIsoTimestampInTheZone_andAPaddedLevel() {
    LogLayout layout = new LogLayout(false, PLUS_ONE);
    assertThat(layout.doLayout(event(Level.INFO, "paird ready", null)))
        .isEqualTo("2025-11-24T17:00:00.123+01:00 INFO  Daemon: paird ready\n");
    assertThat(layout.doLayout(event(Level.ERROR, "no", null)))
        .isEqualTo("2025-11-24T17:00:00.123+01:00 ERROR Daemon: no\n");
  }

  @Test
  void throwable_followsTheMessage_withItsStackTrace() {
    LogLayout layout = new LogLayout(true, PLUS_ONE);
    String line =
        layout.doLayout(event(Level.WARN, "cannot read", new IllegalStateException("why")));
    assertThat(line).startsWith("<4>Daemon: cannot read\njava.lang.IllegalStateException: why\n");
    assertThat(line).contains("\tat dev.paird.daemon.LogLayoutTest.").endsWith("\n");
  }
}
