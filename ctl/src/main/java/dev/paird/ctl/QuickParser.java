package dev.paird.ctl;

import dev.paird.api.ControlRequest;
import dev.paird.api.Durations;
import dev.paird.api.Suite;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Parses the well-formed command lines pairctl is mostly run with, without picocli. Building
 * picocli's command model takes about a third of a short pairctl run, almost all of it for help
 * texts and error messages that a well-formed command line never shows.
 *
 * <p>It accepts only what it knows picocli parses the same way, into the same {@link Parsed.Run}:
 * each option at most once, a value in the next word or after {@code =}, the global options before
 * or after the command. Anything else (help, a version request, an empty or option-like value, a
 * word starting with {@code -} that is no option of the command, {@code --}, an argument missing or
 * too many, a value that does not check) it leaves to {@link Parser}, which says what is wrong as
 * picocli words it.
 */
final class QuickParser {
  /** The global options, allowed before the command and after it. */
  private static final Set<String> GLOBAL_FLAGS = Set.of("--json");

  private static final Set<String> GLOBAL_VALUES = Set.of("--socket");

  private QuickParser() {}

  /** What {@code args} ask for, or null if {@link Parser} has to decide. */
  static Parsed.Run parse(String[] args, Map<String, String> environment) {
    // The one system property that changes how picocli reads words (quotes removed from them).
    if (System.getProperty("picocli.trimQuotes") != null) {
      return null;
    }
    Words words = new Words();
    String command = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.isEmpty() || arg.equals("--")) {
        return null;
      }
      if (!arg.startsWith("-")) {
        if (command == null) {
          command = arg;
          if (!commandWords(command, words)) {
            return null;
          }
        } else if (Parser.COMMANDS.contains(arg)) {
          // A command's name as a value: picocli's reading of that is not worth copying.
          return null;
        } else {
          words.positionals.add(arg);
        }
        continue;
      }
      int equals = arg.indexOf('=');
      String name = equals < 0 ? arg : arg.substring(0, equals);
      boolean flag = GLOBAL_FLAGS.contains(name) || words.flags.contains(name);
      boolean valued = GLOBAL_VALUES.contains(name) || words.valued.contains(name);
      if ((!flag && !valued) || words.given.containsKey(name)) {
        return null;
      }
      if (flag) {
        if (equals >= 0) {
          return null;
        }
        words.given.put(name, "");
        continue;
      }
      String value;
      if (equals >= 0) {
        value = arg.substring(equals + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        return null;
      }
      if (value.isEmpty() || value.startsWith("-") || Parser.COMMANDS.contains(value)) {
        return null;
      }
      words.given.put(name, value);
    }
    if (command == null) {
      return null;
    }
    Request request = request(command, words);
    Path socket =
        request == null ? null : Parser.socketPath(words.given.get("--socket"), environment);
    return socket == null
        ? null
        : new Parsed.Run(socket, words.given.containsKey("--json"), request);
  }

  /** The options and positional words seen so far, and those the command takes. */
  private static final class Words {
    final Set<String> flags = new HashSet<>();
    final Set<String> valued = new HashSet<>();
    final Map<String, String> given = new HashMap<>();
    final List<String> positionals = new ArrayList<>();
    int minPositionals;
    int maxPositionals;
  }

  /** Sets what {@code command} takes; false for a command this class does not parse. */
  private static boolean commandWords(String command, Words words) {
    switch (command) {
      case "status":
      case "list-keys":
        return true;
      case "list-trusted":
        words.flags.add("--full");
        return true;
      case "new-key":
        words.flags.add("--wait");
        words.valued.add("--suite");
        words.valued.add("--ttl");
        return true;
      case "show":
        words.flags.add("--pem");
        words.minPositionals = 1;
        words.maxPositionals = 1;
        return true;
      case "remove":
      case "cancel-key":
      case "ping":
        words.minPositionals = 1;
        words.maxPositionals = 1;
        return true;
      case "pair":
        words.valued.add("--label");
        words.valued.add("--key-file");
        words.minPositionals = 1;
        words.maxPositionals = 2;
        return true;
      default:
        return false;
    }
  }

  /** The request, as {@link Parser} makes it of the same words, or null. */
  private static Request request(String command, Words words) {
    List<String> positionals = words.positionals;
    if (positionals.size() < words.minPositionals || positionals.size() > words.maxPositionals) {
      return null;
    }
    Map<String, String> given = words.given;
    String first = positionals.isEmpty() ? null : positionals.get(0);
    switch (command) {
      case "status":
        return new Request.Send(new ControlRequest.Status());
      case "list-keys":
        return new Request.Send(new ControlRequest.ListKeys());
      case "list-trusted":
        return new Request.ListTrusted(given.containsKey("--full"));
      case "show":
        return new Request.Show(first, given.containsKey("--pem"));
      case "remove":
        return new Request.Send(new ControlRequest.Remove(first));
      case "cancel-key":
        return new Request.Send(new ControlRequest.CancelKey(first));
      case "ping":
        return new Request.Send(new ControlRequest.Ping(first));
      case "new-key":
        return newKey(given);
      default:
        return pair(first, positionals.size() > 1 ? positionals.get(1) : null, given);
    }
  }

  private static Request newKey(Map<String, String> given) {
    Optional<Suite> suite = Optional.empty();
    String suiteName = given.get("--suite");
    if (suiteName != null) {
      suite = Suite.fromWireName(suiteName);
      if (suite.isEmpty()) {
        return null;
      }
    }
    Optional<Duration> lifetime = Optional.empty();
    String ttl = given.get("--ttl");
    if (ttl != null) {
      Duration parsed = Durations.parse(ttl);
      if (parsed == null || !Parser.isKeyLifetime(parsed)) {
        return null;
      }
      lifetime = Optional.of(parsed);
    }
    return new Request.NewKey(
        new ControlRequest.NewKey(suite, lifetime), given.containsKey("--wait"));
  }

  private static Request pair(String host, String key, Map<String, String> given) {
    String file = given.get("--key-file");
    Request.KeySource source;
    if (key != null) {
      if (file != null) {
        return null;
      }
      source = new Request.KeySource.Argument(key);
    } else if (file != null) {
      Path path = Parser.path(file);
      if (path == null) {
        return null;
      }
      source = new Request.KeySource.File(path);
    } else {
      source = new Request.KeySource.Ask();
    }
    return new Request.Pair(
        new ControlRequest.Pair(host, Optional.ofNullable(given.get("--label"))), source);
  }
}
