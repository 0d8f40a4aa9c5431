package dev.paird.ctl;

import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlRequest;
import dev.paird.api.Durations;
import dev.paird.api.Suite;
import dev.paird.api.Version;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * pairctl's command line: options, commands and their help, and the translation of a command line
 * into a {@link Parsed} value. Nothing here touches a socket.
 *
 * <p>The command model is built with picocli's programmatic API rather than its annotations:
 * reflecting over annotated classes doubles the time picocli takes, and pairctl is run by scripts
 * and people who wait for it.
 */
final class Parser {
  static final String NAME = "pairctl";

  static final String[] EXIT_STATUS = {
    "Exit status:",
    "  0  done",
    "  1  internal error: a bug, an answer pairctl cannot read, or output it",
    "     cannot write (a full disk)",
    "  2  usage: a bad option or argument, or a mistyped key; nothing was done",
    "  3  paird is not running, or nothing listens on its socket",
    "  4  this user may not use paird's socket, or pairctl will not use it, as",
    "     other users could have put it there; nothing was sent",
    "  5  rejected: the key was refused, a device is not trusted, too many keys",
    "     are pending, the trusted list is full; new-key --wait: the key expired,",
    "     was burned (too many wrong attempts) or cancelled, or pairing failed",
    "  6  the other device could not be reached or failed: network, TLS, timeout,",
    "     protocol, busy",
    "  7  not found: no such trusted device or pending key",
    "141  the program reading the output went away (a closed pipe); a change",
    "     was made all the same and stderr says what; a new key is cancelled",
  };

  /** The commands' names. */
  static final Set<String> COMMANDS =
      Set.of(
          "new-key",
          "pair",
          "list-trusted",
          "show",
          "remove",
          "status",
          "list-keys",
          "cancel-key",
          "ping");

  private final Map<String, String> environment;

  /** {@code environment}: where {@code PAIRD_SOCKET} is looked up. */
  Parser(Map<String, String> environment) {
    this.environment = environment;
  }

  /** Parses {@code args}. Never throws for a bad command line: that is a {@link Parsed.Usage}. */
  Parsed parse(String... args) {
    Parsed.Run quick = QuickParser.parse(args, environment);
    return quick != null ? quick : parseFully(args);
  }

  /** As {@link #parse}, always with picocli's model: help, version and every error message. */
  Parsed parseFully(String... args) {
    CommandSpec top = commands();
    CommandLine commandLine =
        new CommandLine(top)
            .setExpandAtFiles(false) // "@name" is a label or a host, never a file to read
            .setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF));
    StringWriter shown = new StringWriter();
    commandLine.setOut(new PrintWriter(shown, true));
    boolean json = asksForJson(args);
    ParseResult result;
    try {
      result = commandLine.parseArgs(args);
    } catch (ParameterException e) {
      return usage(e, json);
    }
    if (CommandLine.printHelpIfRequested(result)) {
      return new Parsed.Show(shown.toString());
    }
    if (!result.hasSubcommand()) {
      return new Parsed.Usage(
          "no command given; the commands are " + String.join(", ", top.subcommands().keySet()),
          NAME,
          json);
    }
    ParseResult command = result.subcommand();
    try {
      Path socket = socket(top);
      return new Parsed.Run(socket, isSet(top, "--json"), request(command));
    } catch (ParameterException e) {
      return usage(e, json);
    }
  }

  /**
   * A usage error in pairctl's words where picocli's are not (its own messages are kept for the
   * rare ones not named here: they are clear, if worded otherwise).
   */
  private static Parsed usage(ParameterException e, boolean json) {
    CommandSpec where = e.getCommandLine().getCommandSpec();
    String message = e.getMessage();
    if (e instanceof UnmatchedArgumentException unmatched) {
      List<String> words = unmatched.getUnmatched();
      if (words.isEmpty()) {
        // picocli's message, then.
      } else if (unmatched.isUnknownOption()) {
        message =
            (where.parent() == null ? NAME : where.name())
                + " has no option '"
                + words.get(0)
                + "'";
      } else if (where.parent() == null) {
        message =
            "unknown command '"
                + words.get(0)
                + "'; the commands are "
                + String.join(", ", where.subcommands().keySet());
      }
    } else if (e instanceof MissingParameterException missing && !missing.getMissing().isEmpty()) {
      ArgSpec first = missing.getMissing().get(0);
      message =
          first instanceof OptionSpec option
              ? option.longestName() + " needs a value, " + option.paramLabel()
              : where.name() + " needs " + first.paramLabel();
    } else if (e instanceof OverwrittenOptionException twice
        && twice.getOverwritten() instanceof OptionSpec option) {
      message = option.longestName() + " is given more than once";
    }
    return new Parsed.Usage(message, where.qualifiedName(), json);
  }

  /**
   * Whether {@code --json} is on a command line that may not parse, so that even a usage error is
   * reported as JSON to a script that asked for it.
   */
  private static boolean asksForJson(String[] args) {
    for (String arg : args) {
      if (arg.equals("--")) {
        return false;
      }
      if (arg.equals("--json")) {
        return true;
      }
    }
    return false;
  }

  private Path socket(CommandSpec top) {
    CommandLine where = top.commandLine();
    String[] choice = socketChoice(top.findOption("--socket").getValue(), environment);
    String path = choice[0];
    String origin = choice[1];
    if (path.isEmpty()) {
      throw new ParameterException(where, origin + " must not be empty");
    }
    try {
      return Path.of(path);
    } catch (InvalidPathException e) {
      throw new ParameterException(where, origin + " is not a usable path: " + e.getReason());
    }
  }

  /** The socket as {@link #socket} chooses it, or null where that is a usage error. */
  static Path socketPath(String flag, Map<String, String> environment) {
    String path = socketChoice(flag, environment)[0];
    return path.isEmpty() ? null : path(path);
  }

  /**
   * The socket's path and where it comes from, for messages: {@code --socket}, else {@code
   * PAIRD_SOCKET} if set and not empty, else the default.
   */
  private static String[] socketChoice(String flag, Map<String, String> environment) {
    String env = environment.get(ControlProtocol.SOCKET_ENV);
    if (flag != null) {
      return new String[] {flag, "--socket"};
    } else if (env != null && !env.isEmpty()) {
      return new String[] {env, ControlProtocol.SOCKET_ENV};
    }
    return new String[] {ControlProtocol.DEFAULT_SOCKET, "the default socket"};
  }

  /** {@code text} as a path, or null if it is none. */
  static Path path(String text) {
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      return null;
    }
  }

  private static boolean isSet(CommandSpec top, String flag) {
    Boolean value = top.findOption(flag).getValue();
    return value != null && value;
  }

  private static Request request(ParseResult command) {
    CommandLine where = command.commandSpec().commandLine();
    switch (command.commandSpec().name()) {
      case "new-key":
        return new Request.NewKey(
            new ControlRequest.NewKey(
                suite(where, command.matchedOptionValue("--suite", null)),
                lifetime(where, command.matchedOptionValue("--ttl", null))),
            command.hasMatchedOption("--wait"));
      case "pair":
        return new Request.Pair(
            new ControlRequest.Pair(
                command.matchedPositionalValue(0, ""),
                Optional.ofNullable(command.matchedOptionValue("--label", null))),
            keySource(command));
      case "list-trusted":
        return new Request.ListTrusted(command.hasMatchedOption("--full"));
      case "show":
        return new Request.Show(
            command.matchedPositionalValue(0, ""), command.hasMatchedOption("--pem"));
      case "remove":
        return new Request.Send(new ControlRequest.Remove(command.matchedPositionalValue(0, "")));
      case "status":
        return new Request.Send(new ControlRequest.Status());
      case "list-keys":
        return new Request.Send(new ControlRequest.ListKeys());
      case "cancel-key":
        return new Request.Send(
            new ControlRequest.CancelKey(command.matchedPositionalValue(0, "")));
      case "ping":
        return new Request.Send(new ControlRequest.Ping(command.matchedPositionalValue(0, "")));
      default:
        throw new IllegalStateException("no request for command " + command.commandSpec().name());
    }
  }

  /** The key: on the command line, in a file, or else asked for. Never echoed in a message. */
  private static Request.KeySource keySource(ParseResult command) {
    CommandLine where = command.commandSpec().commandLine();
    List<String> extra = command.matchedPositionalValue(2, List.of());
    if (!extra.isEmpty()) {
      throw new ParameterException(
          where,
          "pair takes HOST and at most KEY, and got "
              + extra.size()
              + " more word"
              + (extra.size() == 1 ? "" : "s")
              + "; leave KEY out to"
              + " be asked for it (other users can read a command line), or quote it if you type it"
              + " with spaces");
    }
    String key = command.matchedPositionalValue(1, null);
    String file = command.matchedOptionValue("--key-file", null);
    if (key != null && file != null) {
      throw new ParameterException(
          where, "pair takes the key either as KEY or from --key-file," + " not both");
    }
    if (key != null) {
      return new Request.KeySource.Argument(key);
    }
    if (file != null) {
      if (file.isEmpty()) {
        throw new ParameterException(where, "--key-file must not be empty");
      }
      try {
        return new Request.KeySource.File(Path.of(file));
      } catch (InvalidPathException e) {
        throw new ParameterException(where, "--key-file is not a usable path: " + e.getReason());
      }
    }
    return new Request.KeySource.Ask();
  }

  private static Optional<Suite> suite(CommandLine where, String value) {
    if (value == null) {
      return Optional.empty();
    }
    return Optional.of(
        Suite.fromWireName(value)
            .orElseThrow(
                () ->
                    new ParameterException(
                        where, "--suite must be spake2 or hmac, not '" + value + "'")));
  }

  private static Optional<Duration> lifetime(CommandLine where, String value) {
    if (value == null) {
      return Optional.empty();
    }
    Duration ttl = Durations.parse(value);
    String bounds =
        Durations.format(ControlProtocol.MIN_KEY_LIFETIME)
            + " to "
            + Durations.format(ControlProtocol.MAX_KEY_LIFETIME);
    if (ttl == null) {
      throw new ParameterException(
          where,
          "--ttl takes a duration such as 90s, 5m or 1h"
              + " ("
              + bounds
              + "), not '"
              + value
              + "'");
    }
    if (!isKeyLifetime(ttl)) {
      throw new ParameterException(
          where, "--ttl must be from " + bounds + ", not " + Durations.format(ttl));
    }
    return Optional.of(ttl);
  }

  /** Whether paird takes {@code ttl} as a key's lifetime. */
  static boolean isKeyLifetime(Duration ttl) {
    return ttl.compareTo(ControlProtocol.MIN_KEY_LIFETIME) >= 0
        && ttl.compareTo(ControlProtocol.MAX_KEY_LIFETIME) <= 0;
  }

  /** The whole command model, help texts included. */
  static CommandSpec commands() {
    CommandSpec top = CommandSpec.create().name(NAME).version(NAME + " " + Version.current());
    // Picocli's standard help options, as mixinStandardHelpOptions would add them, but without
    // reading its annotated mixin class: that reflection spins annotation proxies, which cost
    // more than the rest of picocli's model.
    top.addOption(
        OptionSpec.builder("-h", "--help")
            .usageHelp(true)
            .description("Show this help message and exit.")
            .build());
    top.addOption(
        OptionSpec.builder("-V", "--version")
            .versionHelp(true)
            .description("Print version information and exit.")
            .build());
    top.usageMessage()
        .description("Drives paird, the pairing daemon, over its control socket.")
        .footer(
            footer(
                "",
                "To pair two devices, run 'pairctl new-key' on one of them, then on the",
                "other 'pairctl pair HOST' and type the key when asked.",
                "",
                "With --json, each answer from paird is printed as one line of JSON (new-key",
                "--wait prints two), and a failure as {\"error\": {\"code\": ..., \"message\": ...}};",
                "the message also goes to stderr. The exit status is the same either way."));
    top.addOption(
        OptionSpec.builder("--socket")
            .paramLabel("PATH")
            .type(String.class)
            .scopeType(ScopeType.INHERIT)
            .description(
                "paird's control socket (default: $"
                    + ControlProtocol.SOCKET_ENV
                    + ", else "
                    + ControlProtocol.DEFAULT_SOCKET
                    + ").")
            .build());
    top.addOption(
        OptionSpec.builder("--json")
            .type(boolean.class)
            .scopeType(ScopeType.INHERIT)
            .description("Print paird's answer as JSON, for scripts.")
            .build());

    top.addSubcommand(
        "new-key",
        command(
                "new-key",
                "Make a key for another device to pair with this one. The key is shown once;"
                    + " type it on the other device with 'pairctl pair'.")
            .addOption(
                OptionSpec.builder("--suite")
                    .paramLabel("SUITE")
                    .type(String.class)
                    .description(
                        "spake2: a short numeric code; hmac: 27 letters and digits"
                            + " (default: paird's default_suite, normally spake2).")
                    .build())
            .addOption(
                OptionSpec.builder("--ttl")
                    .paramLabel("DURATION")
                    .type(String.class)
                    .description(
                        "How long the key is valid, from 30s to 1h, written like 90s, 5m"
                            + " or 1h (default: paird's key_lifetime, normally 5m).")
                    .build())
            .addOption(
                OptionSpec.builder("--wait")
                    .type(boolean.class)
                    .description(
                        "Then wait until a device pairs with the key or it ends; exit 0 only"
                            + " if one paired, 5 if the key expired, was burned or cancelled, or pairing"
                            + " failed.")
                    .build()));

    top.addSubcommand(
        "pair",
        command(
                "pair",
                "Pair with another device, using the key it showed ('pairctl new-key' there). Without"
                    + " KEY or --key-file, pairctl asks for the key on the terminal, without echo, or"
                    + " reads one line from standard input if that is not a terminal.")
            .addPositional(
                positional(
                    0,
                    "HOST[:PORT]",
                    "The other device: a host name or address; the port defaults to "
                        + ControlProtocol.DEFAULT_PAIRING_PORT
                        + "."))
            .addPositional(
                PositionalParamSpec.builder()
                    .index("1")
                    .arity("0..1")
                    .required(false)
                    .paramLabel("KEY")
                    .type(String.class)
                    .description(
                        "The key shown on the other device. Better left out: other users of"
                            + " this machine can read a command line while pairctl runs, and the shell may"
                            + " keep it in its history.")
                    .build())
            .addPositional(
                PositionalParamSpec.builder()
                    .index("2..*")
                    .arity("0..*")
                    .paramLabel("EXTRA")
                    .type(List.class)
                    .auxiliaryTypes(String.class)
                    .hidden(true)
                    .build())
            .addOption(
                OptionSpec.builder("--key-file")
                    .paramLabel("FILE")
                    .type(String.class)
                    .description(
                        "Read the key from the first line of FILE, a file of your own that"
                            + " nobody else may read or write, its group included, in directories"
                            + " nobody else may write to (for scripts).")
                    .build())
            .addOption(
                OptionSpec.builder("--label")
                    .paramLabel("TEXT")
                    .type(String.class)
                    .description(
                        "A name for the other device in 'pairctl list-trusted' (1 to 64"
                            + " characters).")
                    .build()));

    top.addSubcommand(
        "list-trusted",
        command("list-trusted", "List the devices this one trusts, oldest first.")
            .addOption(
                OptionSpec.builder("--full")
                    .type(boolean.class)
                    .description("Show whole fingerprints, not their first 16 digits.")
                    .build()));

    top.addSubcommand(
        "show",
        command(
                "show",
                "Show one trusted device: its entry, its certificate's SHA-256 public key pin as"
                    + " curl's --pinnedpubkey takes it, or with --pem its certificate.")
            .addPositional(
                positional(
                    0,
                    "FINGERPRINT",
                    "The device's fingerprint, or enough of its start to name one device."))
            .addOption(
                OptionSpec.builder("--pem")
                    .type(boolean.class)
                    .description("Print only the device's certificate, in PEM.")
                    .build()));

    top.addSubcommand(
        "remove",
        command(
                "remove",
                "Stop trusting a device. The other device still trusts this one until you run"
                    + " 'pairctl remove' there too.")
            .addPositional(
                positional(
                    0,
                    "FINGERPRINT",
                    "The device's fingerprint, or enough of its start to name one device.")));

    top.addSubcommand(
        "status", command("status", "Show this device's fingerprint and paird's state."));

    top.addSubcommand(
        "list-keys",
        command(
            "list-keys",
            "List the keys waiting for a device, soonest expiry first (never their values)."));

    top.addSubcommand(
        "cancel-key",
        command("cancel-key", "Withdraw a pending key, so that no device can use it.")
            .addPositional(positional(0, "ID", "The key's id, as new-key and list-keys show it.")));

    top.addSubcommand(
        "ping",
        command("ping", "Check that another device and this one trust each other.")
            .addPositional(
                positional(
                    0,
                    "HOST[:PORT]",
                    "The other device; the port defaults to "
                        + ControlProtocol.DEFAULT_PAIRING_PORT
                        + ".")));
    return top;
  }

  private static CommandSpec command(String name, String description) {
    CommandSpec command =
        CommandSpec.create()
            .name(name)
            .addOption(
                OptionSpec.builder("-h", "--help")
                    .usageHelp(true)
                    .description("Show this help message and exit.")
                    .build());
    command.usageMessage().description(description);
    return command;
  }

  private static PositionalParamSpec positional(int index, String label, String description) {
    return PositionalParamSpec.builder()
        .index(Integer.toString(index))
        .arity("1")
        .required(true)
        .paramLabel(label)
        .type(String.class)
        .description(description)
        .build();
  }

  private static String[] footer(String... lines) {
    String[] footer = new String[lines.length + 1 + EXIT_STATUS.length];
    System.arraycopy(lines, 0, footer, 0, lines.length);
    footer[lines.length] = "";
    System.arraycopy(EXIT_STATUS, 0, footer, lines.length + 1, EXIT_STATUS.length);
    return footer;
  }
}
