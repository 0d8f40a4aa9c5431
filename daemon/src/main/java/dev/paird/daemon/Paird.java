package dev.paird.daemon;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Printable;
import dev.paird.api.Version;
import dev.paird.config.ConfigFile;
import dev.paird.config.PairdConfig;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code paird} command: reads its configuration, starts the daemon, runs until signalled. */
@Command(
    name = "paird",
    mixinStandardHelpOptions = true,
    versionProvider = Paird.VersionProvider.class,
    description = {
      "Pairs this device with others by a short key typed on one of them.",
      "Serves pairctl on a Unix socket and the pairing protocol on a TCP port."
    },
    footer = {
      "",
      "Flags override the config file. paird runs until SIGTERM or SIGINT, then stops",
      "cleanly and exits 143 or 130 (128 + the signal, as the JVM reports it). Other",
      "exit statuses: 2 usage error, 78 configuration, identity or state problem (the",
      "message says which), 1 any other error (one that may pass, as a full disk)."
    })
public final class Paird implements Callable<Integer> {
  /** sysexits.h EX_CONFIG: systemd's RestartPreventExitStatus keeps a bad config from looping. */
  static final int EXIT_CONFIG = 78;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Configuration file (default /etc/paird/paird.conf, read if it exists; a file"
              + " named here must exist).")
  String configFile;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "Directory for the trusted list and the generated identity (default /var/lib/paird).")
  String stateDir;

  @Option(
      names = "--socket",
      paramLabel = "PATH",
      description = "Control socket for pairctl (default /run/paird/control.sock).")
  String socket;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      description = "Pairing listener address (default *:7247).")
  String listen;

  @Option(names = "--cert", paramLabel = "FILE", description = "The device's certificate (PEM).")
  String cert;

  @Option(names = "--key", paramLabel = "FILE", description = "The device's private key (PEM).")
  String key;

  /** Where {@link #loadConfig} reads {@link PairdConfig#TRUST_CHANGED_FLAG}; tests replace it. */
  Map<String, String> environment = System.getenv();

  public static void main(String[] args) {
    NettyProperties.apply();
    Logging.start();
    Warmup.start();
    Paird paird = quick(args);
    System.exit(paird != null ? paird.run() : new CommandLine(new Paird()).execute(args));
  }

  /** The options a well-formed command line gives, each with a value. */
  private static final List<String> OPTIONS =
      List.of("--config", "--state-dir", "--socket", "--listen", "--cert", "--key");

  /**
   * The command line parsed without picocli, or null if picocli has to: its model of the command is
   * some 170 classes, resident for the daemon's life, that only help, a version request or a usage
   * error need. Taken here is only what picocli is known to parse the same way: each option of
   * {@link #OPTIONS} at most once, its value after {@code =} or in the next word, and a value that
   * is not empty and starts with neither {@code -} nor {@code @} (an argument file).
   */
  static Paird quick(String[] args) {
    if (System.getProperty("picocli.trimQuotes") != null) {
      return null;
    }
    Map<String, String> given = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String[] option = args[i].split("=", 2);
      String name = option[0];
      String value = option.length == 2 ? option[1] : i + 1 < args.length ? args[++i] : null;
      if (value == null
          || !OPTIONS.contains(name)
          || given.containsKey(name)
          || value.isEmpty()
          || value.startsWith("-")
          || value.startsWith("@")) {
        return null;
      }
      given.put(name, value);
    }
    Paird paird = new Paird();
    paird.configFile = given.get("--config");
    paird.stateDir = given.get("--state-dir");
    paird.socket = given.get("--socket");
    paird.listen = given.get("--listen");
    paird.cert = given.get("--cert");
    paird.key = given.get("--key");
    return paird;
  }

  /** {@link #call()} with picocli's exit status for an exception that escapes it. */
  private int run() {
    try {
      return call();
    } catch (RuntimeException e) {
      // Every failure paird foresees is a PairdException with a message for the user; this is a
      // bug, and the trace is for its report.
      org.slf4j.LoggerFactory.getLogger(Paird.class)
          .error("cannot start: paird failed unexpectedly; please report the trace below", e);
      return 1;
    }
  }

  @Override
  public Integer call() {
    PairdConfig config;
    try {
      config = loadConfig();
    } catch (PairdException e) {
      System.err.println("paird: " + e.getMessage());
      return EXIT_CONFIG;
    }
    Logging.setLevel(config.logLevel());
    Daemon daemon;
    try {
      daemon = Daemon.start(config);
    } catch (PairdException e) {
      org.slf4j.LoggerFactory.getLogger(Paird.class).error("cannot start: {}", e.getMessage());
      return e.code() == ErrorCode.INTERNAL ? 1 : EXIT_CONFIG;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "paird-shutdown"));
    // Only now: a SIGTERM that follows READY=1 at once must find the hook that cleans up.
    daemon.ready();
    daemon.stopped().join();
    return 0;
  }

  PairdConfig loadConfig() throws PairdException {
    boolean explicit = configFile != null;
    Path file = explicit ? configPath(configFile) : PairdConfig.DEFAULT_CONFIG;
    Map<String, ConfigFile.Setting> flags = new LinkedHashMap<>();
    flag(flags, "state_dir", "--state-dir", stateDir);
    flag(flags, "socket", "--socket", socket);
    flag(flags, "listen", "--listen", listen);
    flag(flags, "cert", "--cert", cert);
    flag(flags, "key", "--key", key);
    return PairdConfig.from(PairdConfig.merge(ConfigFile.read(file, explicit), flags), environment);
  }

  /**
   * {@code --config} as a path. A string until here, like the other options, so that a name the JDK
   * cannot take as a path is refused by paird in its words, not by picocli in the JDK's.
   */
  private static Path configPath(String name) throws PairdException {
    try {
      return Path.of(name);
    } catch (InvalidPathException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "--config: '"
              + Printable.escaped(name)
              + "' is not a path this system can use; name the config file");
    }
  }

  private static void flag(
      Map<String, ConfigFile.Setting> flags, String key, String flag, String value) {
    if (value != null) {
      flags.put(key, new ConfigFile.Setting(key, value, flag));
    }
  }

  /** Reports the release from the jar manifest. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"paird " + Version.current()};
    }
  }
}
