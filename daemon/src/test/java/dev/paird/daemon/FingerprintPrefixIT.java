package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.trust.HubFill;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CONTROL.md, {@code show} and {@code remove}: {@code fingerprint} is "the full fingerprint or a
 * unique prefix (hex, either case, colons allowed)", and a prefix that several peers share is
 * refused with {@code ambiguous} (pairctl exit 2), whose message lists the candidates. A real paird
 * starts on a list of {@value #PEERS} generated peers ({@link HubFill}), so that some fingerprints
 * share their first digits; the test finds which, and drives paird with pairctl and with raw JSON
 * lines on its control socket.
 */
final class FingerprintPrefixIT {
  /**
   * Enough that two of the random fingerprints share at least their first two hex digits: the
   * chance that no two do is about 4 in a billion.
   */
  private static final int PEERS = 100;

  @TempDir static Path dir;
  private static PairdProcess.Options options;
  private static PairdProcess paird;
  private static Pairctl ctl;

  @BeforeAll
  static void start() throws Exception {
    HubFill.main(new String[] {dir.resolve("state").toString(), Integer.toString(PEERS)});
    options = PairdProcess.in(dir);
    paird = options.start();
    ctl = options.pairctl();
  }

  @AfterAll
  static void stop() throws Exception {
    paird.close();
  }

  /**
   * CONTROL.md, {@code show}, {@code remove} and "Error codes": the longest prefix that two peers
   * share, typed in lower case, in upper case and as openssl prints fingerprints (upper case, a
   * colon after each pair of digits), is refused by both commands with ambiguous and exit 2; the
   * message names every peer with that prefix, and nothing changes.
   */
  @ParameterizedTest
  @ValueSource(strings = {"remove", "show"})
  void sharedPrefix_isAmbiguous_listsTheCandidates_andChangesNothing(String command)
      throws Exception {
    List<String> before = fingerprints();
    Map<String, String> files = ctl.trustFiles();
    String prefix = longestSharedPrefix(before);
    List<String> candidates = startingWith(before, prefix);

    for (String typed : List.of(prefix, upper(prefix), openssl(prefix))) {
      Result refused = ctl.run("--json", command, typed);

      assertThat(refused.status()).as("%s %s: %s", command, typed, refused.err()).isEqualTo(2);
      JsonNode error = refused.json().path("error");
      assertThat(error.path("code").textValue()).isEqualTo("ambiguous");
      assertListsExactly(error.path("message").textValue(), candidates, before);
      assertListsExactly(refused.err(), candidates, before);
    }
    assertThat(fingerprints()).isEqualTo(before);
    assertThat(ctl.trustFiles()).isEqualTo(files);
  }

  /**
   * CONTROL.md, "Requests", {@code show}, {@code remove} and "Error codes", from a client that is
   * not pairctl: a shared prefix is the error code ambiguous, with the request's id, the message
   * listing the candidates; a prefix no peer has is not_found; one with a character other than hex
   * digits and colons is invalid_argument. Nothing changes.
   */
  @ParameterizedTest
  @ValueSource(strings = {"remove", "show"})
  void rawRequest_sharedPrefix_isTheCodeAmbiguous(String command) throws Exception {
    List<String> before = fingerprints();
    Map<String, String> files = ctl.trustFiles();
    String prefix = longestSharedPrefix(before);

    JsonNode ambiguous = raw(command, upper(prefix));
    JsonNode unknown = raw(command, unusedPrefix(before));
    JsonNode invalid = raw(command, prefix + "g");

    assertThat(ambiguous.path("ok").booleanValue()).as("%s", ambiguous).isFalse();
    assertThat(ambiguous.path("id").textValue()).isEqualTo("r");
    assertThat(ambiguous.path("error").path("code").textValue()).isEqualTo("ambiguous");
    assertListsExactly(
        ambiguous.path("error").path("message").textValue(), startingWith(before, prefix), before);
    assertThat(unknown.path("error").path("code").textValue())
        .as("%s", unknown)
        .isEqualTo("not_found");
    assertThat(invalid.path("error").path("code").textValue())
        .as("%s", invalid)
        .isEqualTo("invalid_argument");
    assertThat(fingerprints()).isEqualTo(before);
    assertThat(ctl.trustFiles()).isEqualTo(files);
  }

  /**
   * CONTROL.md, {@code show}: a unique prefix, in lower case, in upper case or with colons, and the
   * full fingerprint as openssl prints it, each show that one peer.
   */
  @Test
  void uniquePrefix_inEveryForm_showsThatPeer() throws Exception {
    List<String> before = fingerprints();
    String target = before.get(before.size() / 2);
    String prefix = uniquePrefix(before, target);

    for (String typed : List.of(prefix, upper(prefix), openssl(prefix), openssl(target))) {
      Result shown = ctl.run("--json", "show", typed);

      assertThat(shown.status()).as("show %s: %s", typed, shown.err()).isZero();
      assertThat(shown.json().path("peer").path("fingerprint").textValue()).isEqualTo(target);
    }
  }

  /**
   * CONTROL.md, {@code remove}: a unique prefix, typed as openssl prints fingerprints, removes
   * exactly that peer, and the answer names it.
   */
  @Test
  void uniquePrefix_withColons_removesExactlyThatPeer() throws Exception {
    List<String> before = fingerprints();
    String target = before.get(before.size() - 1);
    String typed = openssl(uniquePrefix(before, target));

    Result removed = ctl.run("--json", "remove", typed);

    assertThat(removed.status()).as("remove %s: %s", typed, removed.err()).isZero();
    assertThat(removed.json().path("removed").path("fingerprint").textValue()).isEqualTo(target);
    List<String> rest = new ArrayList<>(before);
    rest.remove(target);
    assertThat(fingerprints()).isEqualTo(rest);
  }

  /**
   * Checks that {@code message} names each of {@code candidates} by its first 16 digits, as paird
   * shows them, and no other peer of {@code all}.
   */
  private static void assertListsExactly(
      String message, List<String> candidates, List<String> all) {
    assertThat(candidates).as("peers sharing the prefix").hasSizeGreaterThan(1);
    for (String fingerprint : all) {
      if (candidates.contains(fingerprint)) {
        assertThat(message).as("names a candidate").contains(fingerprint.substring(0, 16));
      } else {
        assertThat(message).as("names no other peer").doesNotContain(fingerprint.substring(0, 16));
      }
    }
  }

  /**
   * {@code {"v":1,"command":COMMAND,"args":{"fingerprint":TYPED},"id":"r"}}, on a new connection.
   */
  private static JsonNode raw(String command, String typed) throws Exception {
    ObjectNode request = Pairctl.JSON.createObjectNode().put("v", 1).put("command", command);
    request.putObject("args").put("fingerprint", typed);
    request.put("id", "r");
    return Pairctl.JSON.readTree(Pairctl.exchange(options.socket(), request + "\n"));
  }

  /** The trusted peers' fingerprints, in list order. */
  private static List<String> fingerprints() throws Exception {
    List<String> fingerprints = new ArrayList<>();
    for (JsonNode peer : ctl.look(Command.LIST_TRUSTED).path("peers")) {
      fingerprints.add(peer.path("fingerprint").textValue());
    }
    return fingerprints;
  }

  /** The longest prefix that two or more of {@code fingerprints} share. */
  private static String longestSharedPrefix(List<String> fingerprints) {
    String longest = "";
    for (int i = 0; i < fingerprints.size(); i++) {
      for (int j = i + 1; j < fingerprints.size(); j++) {
        String one = fingerprints.get(i);
        String other = fingerprints.get(j);
        int length = 0;
        while (one.charAt(length) == other.charAt(length)) {
          length++;
        }
        if (length > longest.length()) {
          longest = one.substring(0, length);
        }
      }
    }
    assertThat(longest)
        .as("a prefix shared by %d peers", fingerprints.size())
        .hasSizeGreaterThan(1);
    return longest;
  }

  /**
   * The shortest prefix of {@code target} that no other of {@code fingerprints} has, of at least
   * three digits, so that its openssl form has a colon inside it.
   */
  private static String uniquePrefix(List<String> fingerprints, String target) {
    for (int length = 3; ; length++) {
      String prefix = target.substring(0, length);
      if (startingWith(fingerprints, prefix).size() == 1) {
        return prefix;
      }
    }
  }

  /** A prefix of two hex digits that none of {@code fingerprints} starts with. */
  private static String unusedPrefix(List<String> fingerprints) {
    for (int value = 0; ; value++) {
      String prefix = HexFormat.of().toHexDigits((byte) value);
      if (startingWith(fingerprints, prefix).isEmpty()) {
        return prefix;
      }
    }
  }

  private static List<String> startingWith(List<String> fingerprints, String prefix) {
    return fingerprints.stream().filter(fingerprint -> fingerprint.startsWith(prefix)).toList();
  }

  private static String upper(String hex) {
    return hex.toUpperCase(Locale.ROOT);
  }

  /**
   * As openssl prints a fingerprint, or as much of it as a person copies: upper case, a colon
   * between each pair of digits, and after the last pair of a prefix.
   */
  private static String openssl(String hex) {
    List<String> pairs = new ArrayList<>();
    for (int i = 0; i < hex.length(); i += 2) {
      pairs.add(upper(hex.substring(i, Math.min(i + 2, hex.length()))));
    }
    String typed = String.join(":", pairs);
    return hex.length() % 2 == 0 && hex.length() < 64 ? typed + ":" : typed;
  }
}
