package dev.paird.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.Printable;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The human-readable form of paird's answers. Every string that came from paird is passed through
 * {@link Terminal#safe}: subjects and labels are chosen by other devices. Times are shown in the
 * local zone, with how far away they are. Digits and zone names are the same in every locale, as is
 * the English around them.
 */
final class Format {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT);
  private static final DateTimeFormatter DATE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
  private static final DateTimeFormatter DATE_MINUTES =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT);
  private static final DateTimeFormatter ZONE = DateTimeFormatter.ofPattern("z", Locale.ROOT);
  private static final int SHORT_FINGERPRINT = 16;
  private static final Pattern IPV4_LOOPBACK = Pattern.compile("127(\\.[0-9]{1,3}){3}");
  private static final Pattern IPV6_LOOPBACK = Pattern.compile("(0{0,4}:){2,7}0{0,3}1");
  private static final Pattern PEM_CERTIFICATE =
      Pattern.compile("-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n");

  private final Terminal terminal;
  private final Clock clock;

  /** {@code clock}: now, and the zone to show times in. */
  Format(Terminal terminal, Clock clock) {
    this.terminal = terminal;
    this.clock = clock;
  }

  /**
   * A {@code new-key} result: what to type on the other device, the key (once, apart from the
   * command, so that it is typed when pairctl asks and never lands on a command line), and when it
   * expires. The key is a part of its own, never in a {@code String}.
   */
  Output newKey(JsonNode result) {
    SecretValue key = SecretValue.in(result.path(Json.SECRET_FIELD));
    String id = text(result, "id");
    StringBuilder out = new StringBuilder();
    out.append("New ").append(text(result, "suite")).append(" key, id ").append(id).append(".\n");
    out.append("On the other device, type:\n\n");
    String host = result.path("host").isTextual() ? result.path("host").textValue() : "";
    if (host.isEmpty()) {
      out.append("    pairctl pair ADDRESS").append(portSuffix(result)).append("\n\n");
      out.append("where ADDRESS is this device's IP address.\n\n");
    } else if (isLoopbackName(host) || !isTypable(host)) {
      // The other device could not use the name: say what to type instead.
      out.append("    pairctl pair ADDRESS").append(portSuffix(result)).append("\n\n");
      out.append("where ADDRESS is this device's IP address: its host name, ")
          .append(text(result, "host"))
          .append(
              isLoopbackName(host)
                  ? ", would name the other device itself.\n\n"
                  : ", cannot be typed there as a host.\n\n");
    } else {
      out.append("    pairctl pair ").append(hostAndPort(result)).append("\n\n");
    }
    out.append("and enter this key when asked:\n\n");
    out.append("    ");
    Output shown = new Output();
    if (key != null) {
      shown.text(out.toString()).secret(key);
    } else {
      shown.text(out.append(text(result, Json.SECRET_FIELD)).toString());
    }
    out.setLength(0);
    out.append("\n\n");
    out.append("It expires ").append(when(result.path("expires_at"))).append(".\n");
    out.append("The key is shown only this once; 'pairctl cancel-key ")
        .append(id)
        .append("' withdraws it.\n");
    return shown.text(out.toString());
  }

  /** What {@code new-key --wait} says while it waits. */
  String waiting() {
    return "Waiting for the other device (Ctrl-C stops waiting; the key stays valid until it"
        + " expires)"
        + terminal.ellipsis()
        + "\n";
  }

  /** A {@code wait-key} result whose outcome is {@code paired}. */
  String pairedByKey(JsonNode result) {
    JsonNode peer = result.path("peer");
    String fingerprint = text(peer, "fingerprint");
    return "Paired with "
        + text(peer, "subject")
        + " using key "
        + text(result, "id")
        + ".\n"
        + fields(
            row("fingerprint", fingerprint),
            row("", grouped(fingerprint)),
            row("subject", text(peer, "subject")))
        + signingNote(peer);
  }

  /** A {@code pair} result. */
  String paired(JsonNode result) {
    JsonNode peer = result.path("peer");
    return "Paired with "
        + name(peer)
        + ". Each device now trusts the other.\n"
        + fields(peerRows(peer))
        + signingNote(peer);
  }

  /**
   * What a peer whose certificate may sign others means for the software that reads the outputs as
   * a list of CAs; nothing for one that may not, or an answer that does not say.
   */
  private static String signingNote(JsonNode peer) {
    return peer.path("may_sign").asBoolean(false)
        ? "Its certificate may sign other certificates: software that reads this device's"
            + " trusted.pem, trusted-certs/ or trusted.p12 as a list of CAs (PostgreSQL,"
            + " mosquitto, Java, curl --cacert) also accepts what that device signs."
            + " See docs/INTEGRATION.md, \"Certificates that may sign\".\n"
        : "";
  }

  /** Why {@code new-key --wait} ended without a peer, for an outcome other than paired. */
  Optional<String> unpairedOutcome(JsonNode result) {
    String id = text(result, "id");
    switch (result.path("outcome").asText("")) {
      case "expired":
        return Optional.of("key " + id + " expired before a device used it");
      case "burned":
        return Optional.of("key " + id + " was burned: there were too many wrong attempts with it");
      case "cancelled":
        return Optional.of(
            "key " + id + " was cancelled, by 'pairctl cancel-key' or because paird" + " stopped");
      case "failed":
        return Optional.of(
            "a device proved it knew key "
                + id
                + ", but paird could not save that"
                + " it trusts it, so it does not; paird's log says why (journalctl -u paird)");
      default:
        return Optional.empty();
    }
  }

  String status(JsonNode result) {
    return "paird "
        + text(result, "version")
        + " on "
        + text(result, "host")
        + ", running since "
        + date(result.path("started_at"), DATE_TIME)
        + "\n"
        + fields(
            row("fingerprint", text(result, "fingerprint")),
            row("subject", text(result, "subject")),
            row("key type", text(result, "key_type")),
            row("listening on", text(result, "listen")),
            row("pending keys", text(result, "pending_keys")),
            row("trusted peers", text(result, "trusted_peers")),
            row("default suite", text(result, "default_suite")),
            row("state dir", text(result, "state_dir")));
  }

  String listKeys(JsonNode result) {
    JsonNode keys = result.path("keys");
    if (keys.size() == 0) {
      return "No pending keys; 'pairctl new-key' makes one.\n";
    }
    Table table = new Table("ID", "SUITE", "EXPIRES", "ATTEMPTS LEFT");
    for (JsonNode key : keys) {
      table.row(
          text(key, "id"),
          text(key, "suite"),
          soon(key.path("expires_at")),
          text(key, "attempts_left"));
    }
    return table.toString();
  }

  String listTrusted(JsonNode result, boolean full) {
    JsonNode peers = result.path("peers");
    if (peers.size() == 0) {
      return "No trusted peers yet. To pair with another device, run 'pairctl new-key' here and"
          + " on the other device type the 'pairctl pair' command and the key it prints.\n";
    }
    Table table = new Table("FINGERPRINT", "LABEL", "SUBJECT", "HOST", "SUITE", "ADDED");
    for (JsonNode peer : peers) {
      String fingerprint = text(peer, "fingerprint");
      table.row(
          full ? fingerprint : shortFingerprint(fingerprint),
          text(peer, "label"),
          text(peer, "subject"),
          text(peer, "host"),
          text(peer, "suite"),
          date(peer.path("added_at"), DATE_MINUTES));
    }
    return table.toString();
  }

  /** A {@code show} result. */
  String shown(JsonNode result) {
    JsonNode peer = result.path("peer");
    List<String[]> rows = new ArrayList<>(List.of(peerRows(peer)));
    rows.add(row("added", date(peer.path("added_at"), DATE_TIME)));
    rows.add(row("updated", date(peer.path("updated_at"), DATE_TIME)));
    rows.add(row("public key pin", text(peer, "spki_pin")));
    rows.add(row("may sign", yesNo(peer.path("may_sign"))));
    return name(peer) + "\n" + fields(rows.toArray(new String[0][]));
  }

  /** "yes" or "no" for a boolean, "-" for anything else (an answer that does not say). */
  private static String yesNo(JsonNode value) {
    return value.isBoolean() ? (value.booleanValue() ? "yes" : "no") : "-";
  }

  /** The rows that say who a peer is, as pair and show print them. */
  private String[][] peerRows(JsonNode peer) {
    String fingerprint = text(peer, "fingerprint");
    return new String[][] {
      row("fingerprint", fingerprint),
      row("", grouped(fingerprint)),
      row("subject", text(peer, "subject")),
      row("label", text(peer, "label")),
      row("host", text(peer, "host")),
      row("suite", text(peer, "suite"))
    };
  }

  /**
   * A {@code show --pem} result: the certificate, if it is one PEM block of base64 text, and
   * nothing else, so that the output can go straight to a file; empty if the answer holds none.
   */
  Optional<String> certificate(JsonNode result) {
    String pem = result.path("certificate").asText("");
    return PEM_CERTIFICATE.matcher(pem).matches() ? Optional.of(pem) : Optional.empty();
  }

  String removed(JsonNode result) {
    JsonNode peer = result.path("removed");
    return "Removed "
        + name(peer)
        + "; this device no longer trusts it.\n"
        + fields(
            row("fingerprint", text(peer, "fingerprint")), row("subject", text(peer, "subject")))
        + "Run 'pairctl remove' on that device too, or it still trusts this one.\n";
  }

  /**
   * What a command that changes something did, as a clause for stderr when its answer could not be
   * written: the change stands. Empty for a command that changes nothing, and for {@code wait-key}
   * whose outcome is not paired.
   */
  Optional<String> done(Command command, JsonNode result) {
    switch (command) {
      case PAIR:
        return Optional.of(pairedWith(result.path("peer")));
      case WAIT_KEY:
        return result.path("outcome").asText("").equals("paired")
            ? Optional.of(pairedWith(result.path("peer")))
            : Optional.empty();
      case REMOVE:
        JsonNode peer = result.path("removed");
        return Optional.of(
            "this device no longer trusts "
                + name(peer)
                + ", fingerprint "
                + text(peer, "fingerprint"));
      case CANCEL_KEY:
        return Optional.of("key " + text(result, "id") + " is cancelled");
      default:
        return Optional.empty();
    }
  }

  private String pairedWith(JsonNode peer) {
    return "paired with "
        + name(peer)
        + ", fingerprint "
        + text(peer, "fingerprint")
        + "; each device now trusts the other";
  }

  String cancelled(JsonNode result) {
    return "Cancelled key " + text(result, "id") + "; no device can use it now.\n";
  }

  String ping(JsonNode result) {
    JsonNode peer = result.path("peer");
    return text(result, "host")
        + " ("
        + text(peer, "subject")
        + ", "
        + shortFingerprint(text(peer, "fingerprint"))
        + ") trusts this device and is trusted by it; answered in "
        + text(result, "rtt_ms")
        + " ms\n";
  }

  /** A fingerprint's first 16 digits and an ellipsis, as list-trusted shows it. */
  String shortFingerprint(String fingerprint) {
    return fingerprint.length() <= SHORT_FINGERPRINT
        ? fingerprint
        : fingerprint.substring(0, SHORT_FINGERPRINT) + terminal.ellipsis();
  }

  /** 9f86 d081 884c ...: easier to compare by eye with the other device's 'pairctl status'. */
  private static String grouped(String fingerprint) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < fingerprint.length(); i += 4) {
      if (i > 0) {
        out.append(i % 16 == 0 ? "  " : " ");
      }
      out.append(fingerprint, i, Math.min(i + 4, fingerprint.length()));
    }
    return out.toString();
  }

  /** The label if the peer has one, else its subject. */
  private String name(JsonNode peer) {
    JsonNode label = peer.path("label");
    return label.isTextual()
        ? text(peer, "label") + " (" + text(peer, "subject") + ")"
        : text(peer, "subject");
  }

  private String hostAndPort(JsonNode result) {
    String host = text(result, "host");
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    return host + portSuffix(result);
  }

  /** ":PORT" if the answer's port is not the default one, else nothing. */
  private static String portSuffix(JsonNode result) {
    JsonNode port = result.path("port");
    return port.isInt() && port.intValue() != ControlProtocol.DEFAULT_PAIRING_PORT
        ? ":" + port.intValue()
        : "";
  }

  /**
   * Whether {@code host} is a name that every device resolves to itself, or a loopback address:
   * telling the other device to pair with it would have it connect to its own paird.
   */
  static boolean isLoopbackName(String host) {
    String name = host.toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    return name.equals("localhost")
        || name.startsWith("localhost.")
        || name.endsWith(".localhost")
        || name.equals("localhost6")
        || name.startsWith("localhost6.")
        || name.equals("ip6-localhost")
        || name.equals("ip6-loopback")
        || IPV4_LOOPBACK.matcher(name).matches()
        || IPV6_LOOPBACK.matcher(name).matches();
  }

  /**
   * Whether {@code host} can be typed as pairctl pair's HOST and reach a host of that name: not
   * empty; no blank, space character or character that does not print; no '/' or '@', which pair
   * refuses in a host; no bracket, which pair reads as an IPv6 literal's; and no leading '-', which
   * pairctl would take for an option.
   */
  static boolean isTypable(String host) {
    return !host.isEmpty()
        && host.charAt(0) != '-'
        && host.codePoints()
            .allMatch(
                c ->
                    Printable.isPrintable(c)
                        && !Character.isWhitespace(c)
                        && !Character.isSpaceChar(c)
                        && c != '/'
                        && c != '@'
                        && c != '['
                        && c != ']');
  }

  /** The value of a field, safe to print; "-" if it is missing or null. */
  private String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    return terminal.safe(value.isValueNode() && !value.isNull() ? value.asText() : null);
  }

  /** "at 18:05:00 UTC, in 5 minutes" (with the date unless it is today). */
  private String when(JsonNode instant) {
    Optional<Instant> at = instant(instant);
    if (at.isEmpty()) {
      return "at " + terminal.safe(instant.asText(null));
    }
    ZonedDateTime local = at.get().atZone(clock.getZone());
    boolean today =
        local.toLocalDate().equals(clock.instant().atZone(clock.getZone()).toLocalDate());
    return "at "
        + (today ? TIME : DATE_TIME).format(local)
        + " "
        + ZONE.format(local)
        + ", "
        + relative(Duration.between(clock.instant(), at.get()));
  }

  /** "18:05:00 (in 5 minutes)", for a table. */
  private String soon(JsonNode instant) {
    Optional<Instant> at = instant(instant);
    if (at.isEmpty()) {
      return terminal.safe(instant.asText(null));
    }
    return TIME.format(at.get().atZone(clock.getZone()))
        + " ("
        + relative(Duration.between(clock.instant(), at.get()))
        + ")";
  }

  private String date(JsonNode instant, DateTimeFormatter format) {
    Optional<Instant> at = instant(instant);
    return at.isPresent()
        ? format.format(at.get().atZone(clock.getZone()))
        : terminal.safe(instant.asText(null));
  }

  /** The instant an ISO-8601 text node holds, if it holds one. */
  static Optional<Instant> instant(JsonNode value) {
    if (!value.isTextual()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(value.textValue()));
    } catch (DateTimeException e) {
      return Optional.empty();
    }
  }

  /** "in 45 seconds", "in 5 minutes", "in 1 hour 30 minutes"; "now" once it has passed. */
  static String relative(Duration until) {
    long seconds = Math.round(until.toMillis() / 1000.0);
    if (seconds <= 0) {
      return "now";
    }
    if (seconds < 90) {
      return "in " + count(seconds, "second");
    }
    long minutes = Math.round(seconds / 60.0);
    if (minutes < 60) {
      return "in " + count(minutes, "minute");
    }
    return "in "
        + count(minutes / 60, "hour")
        + (minutes % 60 == 0 ? "" : " " + count(minutes % 60, "minute"));
  }

  private static String count(long n, String unit) {
    return n + " " + unit + (n == 1 ? "" : "s");
  }

  private static String[] row(String name, String value) {
    return new String[] {name, value};
  }

  /** Indented name-value lines with the values aligned. */
  private static String fields(String[]... rows) {
    int width = 0;
    for (String[] row : rows) {
      width = Math.max(width, row[0].length());
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      out.append("  ")
          .append(row[0])
          .append(" ".repeat(width - row[0].length() + 2))
          .append(row[1])
          .append('\n');
    }
    return out.toString();
  }
}
