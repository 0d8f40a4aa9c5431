package dev.paird.daemon;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Version;
import dev.paird.config.ConfigFile;
import dev.paird.config.PairdConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
      "message says which), 1 any other error."
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
  Path configFile;

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

  public static void main(String[] args) {
    NettyProperties.apply();
    Logging.start();
    Warmup.start();
    System.exit(new CommandLine(new Paird()).execute(args));
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
    daemon.stopped().join();
    return 0;
  }

  PairdConfig loadConfig() throws PairdException {
    boolean explicit = configFile != null;
    Path file = explicit ? configFile : PairdConfig.DEFAULT_CONFIG;
    Map<String, ConfigFile.Setting> flags = new LinkedHashMap<>();
    flag(flags, "state_dir", "--state-dir", stateDir);
    flag(flags, "socket", "--socket", socket);
    flag(flags, "listen", "--listen", listen);
    flag(flags, "cert", "--cert", cert);
    flag(flags, "key", "--key", key);
    return PairdConfig.from(PairdConfig.merge(ConfigFile.read(file, explicit), flags));
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
