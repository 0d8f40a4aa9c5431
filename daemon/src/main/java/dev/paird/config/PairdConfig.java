package dev.paird.config;

import dev.paird.api.ControlProtocol;
import dev.paird.api.Durations;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Printable;
import dev.paird.api.SocketFile;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * paird's validated configuration: built once at start-up from the config file and command-line
 * flags (flags win), and from the one environment variable set by paird's systemd unit ({@link
 * #TRUST_CHANGED_FLAG}), immutable afterwards. Every setting, its default and its bounds are listed
 * in {@link #KEYS} and documented in the shipped {@code packaging/paird.conf} (installed as {@code
 * /etc/paird/paird.conf}) and in paird(8), {@code packaging/man/paird.8}.
 */
public record PairdConfig(
    Path stateDir,
    Path socket,
    Optional<String> socketGroup,
    ListenAddress listen,
    Optional<Path> cert,
    Optional<Path> key,
    Suite defaultSuite,
    Duration keyLifetime,
    int maxPendingKeys,
    int maxAttempts,
    int codeDigits,
    int maxConnections,
    int maxConnectionsPerSource,
    int rateLimitPerMinute,
    Duration handshakeTimeout,
    Duration firstFrameTimeout,
    Duration exchangeTimeout,
    Duration connectTimeout,
    int controlMaxConnections,
    Duration controlIdleTimeout,
    String logLevel,
    Optional<Path> trustChangedFlag,
    Map<String, String> origins) {

  public PairdConfig {
    origins = Map.copyOf(origins);
  }

  /**
   * Where {@code key} was set, {@code FILE:LINE} or the flag, for errors found after the
   * configuration was read (a state directory that cannot be used, a key file that others can
   * read); empty if the setting has its default.
   */
  public Optional<String> origin(String key) {
    return Optional.ofNullable(origins.get(key));
  }

  public static final Path DEFAULT_CONFIG = Path.of("/etc/paird/paird.conf");
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/paird");

  /**
   * The environment variable naming the file paird creates after each change of its outputs, for
   * paird-trust-changed: set by paird's unit, not a setting of the config file, since the unit that
   * deletes the file is where its path is chosen. Unset or empty, there is no flag.
   */
  public static final String TRUST_CHANGED_FLAG = "PAIRD_TRUST_CHANGED_FLAG";

  /**
   * The shortest key lifetime this process takes, from the config file and from {@code new-key}:
   * {@link ControlProtocol#MIN_KEY_LIFETIME} in every paird that users run. Only the end-to-end
   * test of real expiry lowers it, so that a key dies in seconds instead of half a minute, from a
   * main class of its own in the test sources, which are never packaged. No setting, option,
   * environment variable or system property reaches it: only code compiled into this package can
   * write it.
   */
  static volatile Duration keyLifetimeFloor = ControlProtocol.MIN_KEY_LIFETIME;

  /** The shortest key lifetime this process takes; see {@link #keyLifetimeFloor}. */
  public static Duration keyLifetimeFloor() {
    return keyLifetimeFloor;
  }

  private static final List<String> LOG_LEVELS = List.of("error", "warn", "info", "debug", "trace");

  /** Every key the config file accepts, with its default as written in the file. */
  public static final Map<String, String> KEYS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("state_dir", DEFAULT_STATE_DIR.toString());
    keys.put("socket", ControlProtocol.DEFAULT_SOCKET);
    keys.put("socket_group", "");
    keys.put("listen", ListenAddress.defaultAddress().toString());
    keys.put("cert", "");
    keys.put("key", "");
    keys.put("default_suite", Suite.SPAKE2.wireName());
    keys.put("key_lifetime", "5m");
    keys.put("max_pending_keys", "16");
    keys.put("max_attempts", "3");
    keys.put("code_digits", Integer.toString(Spake2Code.DEFAULT_SECRET_DIGITS));
    keys.put("max_connections", "64");
    keys.put("max_connections_per_source", "4");
    keys.put("rate_limit_per_minute", "30");
    keys.put("handshake_timeout", "10s");
    keys.put("first_frame_timeout", "5s");
    keys.put("exchange_timeout", "30s");
    keys.put("connect_timeout", "10s");
    keys.put("control_max_connections", "32");
    keys.put("control_idle_timeout", "60s");
    keys.put("log_level", "info");
    return java.util.Collections.unmodifiableMap(keys);
  }

  /** The configuration with every setting at its default. */
  public static PairdConfig defaultConfig() {
    try {
      return from(Map.of());
    } catch (PairdException e) {
      throw new AssertionError("defaults must be valid", e);
    }
  }

  /** {@link #from(Map, Map)} in an environment without {@link #TRUST_CHANGED_FLAG}. */
  public static PairdConfig from(Map<String, ConfigFile.Setting> settings) throws PairdException {
    return from(settings, Map.of());
  }

  /**
   * Validates {@code settings} (from the file, then flags layered on top) and {@link
   * #TRUST_CHANGED_FLAG} in {@code environment}, and fills in defaults.
   *
   * @throws PairdException {@link ErrorCode#CONFIG_INVALID} naming the first bad key or variable,
   *     where it was set, and the allowed values
   */
  public static PairdConfig from(
      Map<String, ConfigFile.Setting> settings, Map<String, String> environment)
      throws PairdException {
    for (ConfigFile.Setting setting : settings.values()) {
      if (!KEYS.containsKey(setting.key())) {
        throw new PairdException(
            ErrorCode.CONFIG_INVALID,
            setting.origin()
                + ": unknown setting '"
                + Printable.escaped(setting.key())
                + "'; known settings are "
                + String.join(", ", KEYS.keySet()));
      }
    }
    Reader r = new Reader(settings);
    Optional<Path> cert = r.optionalPath("cert");
    Optional<Path> key = r.optionalPath("key");
    if (cert.isPresent() != key.isPresent()) {
      String missing = cert.isPresent() ? "key" : "cert";
      String given = cert.isPresent() ? "cert" : "key";
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          r.origin(given)
              + ": '"
              + given
              + "' is set but '"
              + missing
              + "' is not; set both (the"
              + " device's certificate and its private key) or neither (paird then uses or"
              + " generates an identity in the state directory)");
    }
    Path socket = r.path("socket");
    if (socket.toString().getBytes(StandardCharsets.UTF_8).length > SocketFile.MAX_PATH_BYTES) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          r.origin("socket")
              + ": socket path is longer than "
              + SocketFile.MAX_PATH_BYTES
              + " bytes, the limit for Unix sockets; choose a shorter path");
    }
    return new PairdConfig(
        r.path("state_dir"),
        socket,
        r.optionalName("socket_group"),
        r.parse(
            "listen",
            "HOST:PORT, [IPV6]:PORT or *:PORT",
            v -> {
              try {
                return ListenAddress.parse(v, r.origin("listen"));
              } catch (PairdException e) {
                return null;
              }
            }),
        cert,
        key,
        r.parse("default_suite", "hmac or spake2", v -> Suite.fromWireName(v).orElse(null)),
        r.duration("key_lifetime", keyLifetimeFloor(), ControlProtocol.MAX_KEY_LIFETIME),
        r.integer("max_pending_keys", 1, Spake2Code.SLOTS),
        r.integer("max_attempts", 1, 10),
        r.integer("code_digits", Spake2Code.MIN_SECRET_DIGITS, Spake2Code.MAX_SECRET_DIGITS),
        r.integer("max_connections", 1, 4096),
        r.integer("max_connections_per_source", 1, 4096),
        r.integer("rate_limit_per_minute", 1, 6000),
        r.duration("handshake_timeout", Duration.ofSeconds(1), Duration.ofMinutes(2)),
        r.duration("first_frame_timeout", Duration.ofSeconds(1), Duration.ofMinutes(1)),
        r.duration("exchange_timeout", Duration.ofSeconds(2), Duration.ofMinutes(5)),
        r.duration("connect_timeout", Duration.ofSeconds(1), Duration.ofMinutes(2)),
        r.integer("control_max_connections", 1, 1024),
        r.duration("control_idle_timeout", Duration.ofSeconds(1), Duration.ofHours(1)),
        r.parse(
            "log_level",
            String.join(", ", LOG_LEVELS),
            v ->
                LOG_LEVELS.contains(v.toLowerCase(Locale.ROOT))
                    ? v.toLowerCase(Locale.ROOT)
                    : null),
        trustChangedFlag(environment.get(TRUST_CHANGED_FLAG)),
        origins(settings));
  }

  /** The flag's path from the variable's {@code value}: empty if unset or empty. */
  private static Optional<Path> trustChangedFlag(String value) throws PairdException {
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    Path path = Reader.toPath(value);
    if (path == null || !path.isAbsolute() || path.getFileName() == null) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "environment variable "
              + TRUST_CHANGED_FLAG
              + " = '"
              + Printable.escaped(value)
              + "' is not valid; allowed: the absolute path of a file, such as"
              + " /var/lib/paird-trust-changed/pending/changed, or empty for none");
    }
    return Optional.of(path);
  }

  private static Map<String, String> origins(Map<String, ConfigFile.Setting> settings) {
    Map<String, String> origins = new HashMap<>();
    settings.forEach((key, setting) -> origins.put(key, setting.origin()));
    return origins;
  }

  /** Layers {@code overrides} (flags) over {@code file}; both keyed by setting name. */
  public static Map<String, ConfigFile.Setting> merge(
      Map<String, ConfigFile.Setting> file, Map<String, ConfigFile.Setting> overrides) {
    Map<String, ConfigFile.Setting> merged = new HashMap<>(file);
    merged.putAll(overrides);
    return merged;
  }

  /** Reads settings with defaults, producing messages that name the key and allowed values. */
  private static final class Reader {
    private final Map<String, ConfigFile.Setting> settings;

    Reader(Map<String, ConfigFile.Setting> settings) {
      this.settings = settings;
    }

    String raw(String key) {
      ConfigFile.Setting s = settings.get(key);
      return s == null ? KEYS.get(key) : s.value();
    }

    String origin(String key) {
      ConfigFile.Setting s = settings.get(key);
      return s == null ? "default " + key : s.origin();
    }

    <T> T parse(String key, String allowed, Function<String, T> parser) throws PairdException {
      String value = raw(key);
      T parsed = value.isEmpty() ? null : parser.apply(value);
      if (parsed == null) {
        throw invalid(key, value, allowed);
      }
      return parsed;
    }

    PairdException invalid(String key, String value, String allowed) {
      return new PairdException(
          ErrorCode.CONFIG_INVALID,
          origin(key)
              + ": "
              + key
              + " = '"
              + Printable.escaped(value)
              + "' is not valid; allowed: "
              + allowed);
    }

    int integer(String key, int min, int max) throws PairdException {
      return parse(
          key,
          "a whole number from " + min + " to " + max,
          v -> {
            if (v.length() > 9 || !Durations.isAsciiDigits(v)) {
              return null;
            }
            int n = Integer.parseInt(v);
            return n >= min && n <= max ? n : null;
          });
    }

    Duration duration(String key, Duration min, Duration max) throws PairdException {
      return parse(
          key,
          "a duration from "
              + Durations.format(min)
              + " to "
              + Durations.format(max)
              + " written like 45s, 5m or 1h",
          v -> {
            Duration d = Durations.parse(v);
            return d != null && d.compareTo(min) >= 0 && d.compareTo(max) <= 0 ? d : null;
          });
    }

    Path path(String key) throws PairdException {
      return parse(key, "a file system path", Reader::toPath);
    }

    Optional<Path> optionalPath(String key) throws PairdException {
      return raw(key).isEmpty() ? Optional.empty() : Optional.of(path(key));
    }

    Optional<String> optionalName(String key) throws PairdException {
      String value = raw(key);
      if (value.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(
          parse(
              key,
              "a group name such as paird",
              v -> v.matches("[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?") ? v : null));
    }

    private static Path toPath(String value) {
      try {
        return value.indexOf('\0') >= 0 ? null : Path.of(value);
      } catch (InvalidPathException e) {
        return null;
      }
    }
  }
}
