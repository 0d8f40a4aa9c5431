package dev.paird.daemon;

/**
 * The system properties by which paird configures Netty, set before any Netty class reads them; one
 * given on the command line ({@code -D}, e.g. through PAIRD_JAVA_OPTS) wins.
 */
final class NettyProperties {
  /** Netty's switch for its JDK Flight Recorder events. */
  static final String JFR_ENABLED = "io.netty.jfr.enabled";

  private NettyProperties() {}

  static void apply() {
    // Netty's adaptive allocator registers its allocation events with JFR on its first chunk
    // whenever the JVM has JFR, recording or not; the registration builds JFR's descriptions
    // of every event of the JDK: about 100 classes and 3 MiB resident in a daemon that is
    // rarely recorded. Whoever records one can turn them back on.
    if (System.getProperty(JFR_ENABLED) == null) {
      System.setProperty(JFR_ENABLED, "false");
    }
  }
}
