package dev.paird.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.time.ZoneId;

/**
 * Sets logback up in code; logback finds this class through {@code META-INF/services} before it
 * would look for a {@code logback.xml}. One appender to standard error with {@link LogLayout},
 * level INFO until the configuration says otherwise, Netty at WARN: it is quiet unless something is
 * wrong.
 *
 * <p>Reading the same settings from XML cost about a third of a second of CPU at every start
 * (logback's XML reader and the JDK's parser), more than reading the identity.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  /** Journald sets this for a service whose output goes to the journal. */
  static final String JOURNAL_STREAM = "JOURNAL_STREAM";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    // Keeps logback's own start-up messages out of the journal.
    NopStatusListener quiet = new NopStatusListener();
    context.getStatusManager().add(quiet);

    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    LogLayout layout = new LogLayout(System.getenv(JOURNAL_STREAM) != null, ZoneId.systemDefault());
    layout.setContext(context);
    layout.start();
    encoder.setLayout(layout);
    encoder.start();

    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("STDERR");
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();

    context.getLogger("io.netty").setLevel(Level.WARN);
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(appender);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
