package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

final class QuickParserTest {
  private static final Map<String, String> ENVIRONMENT = Map.of("PAIRD_SOCKET", "/tmp/env.sock");

  /** Command lines the quick path must take, and parse as picocli does. */
  static Stream<String> taken() {
    return Stream.of(
        "status",
        "--json status",
        "status --json",
        "--socket /tmp/a.sock status",
        "--socket=/tmp/a.sock --json status",
        "list-keys --json --socket=/tmp/after.sock",
        "--json list-keys --socket /tmp/b.sock",
        "list-trusted",
        "list-trusted --full",
        "--json list-trusted --full",
        "new-key",
        "--json new-key",
        "new-key --suite hmac --ttl 90s --wait",
        "new-key --suite=SPAKE2 --ttl=1h",
        "new-key --ttl 30",
        "new-key --wait --json",
        "show 9f86",
        "show --pem 9f86",
        "show 9f86 --pem --json",
        "remove 9f86:d0",
        "cancel-key 42",
        "ping kitchen-pi",
        "ping [::1]:7000",
        "pair laptop",
        "pair @laptop 42-3141-5926-0",
        "pair laptop.local:7000 42-3141-5926-0 --label work",
        "pair --label=work laptop",
        "pair laptop --key-file /run/k",
        "--json pair laptop --key-file=/run/k --label=a=b");
  }

  /**
   * Command lines it must leave to picocli: help, version, errors, and forms whose reading by
   * picocli it does not copy.
   */
  static Stream<String> declined() {
    return Stream.of(
        "",
        "--help",
        "-h",
        "--version",
        "-V",
        "status --help",
        "status -h",
        "frobnicate",
        "--frobnicate status",
        "status --frob",
        "status now",
        "--json",
        "--json --json status",
        "status --json --json",
        "--json status --json",
        "--json=true status",
        "--socket",
        "--socket status",
        "--socket status status",
        "--socket --json status",
        "--socket= status",
        "--socket=-x status",
        "--socket /a --socket /b status",
        "-- status",
        "status --",
        "--full list-trusted",
        "list-trusted --full --full",
        "list-trusted --full=true",
        "new-key --ttl 2h",
        "new-key --ttl 29s",
        "new-key --ttl 5x",
        "new-key --ttl=",
        "new-key --ttl",
        "new-key --suite rot13",
        "new-key --wait=yes",
        "show",
        "show 9f86 9f87",
        "show -9f86",
        "show status",
        "remove",
        "cancel-key",
        "ping",
        "ping -x",
        "pair",
        "pair laptop 17 2468 1357 3",
        "pair laptop 42-3141-5926-0 --key-file /run/k",
        "pair laptop --key-file=",
        "pair laptop --label",
        "pair laptop --label --wait",
        "pair laptop --label pair");
  }

  @ParameterizedTest
  @MethodSource("taken")
  void parse_commonCommandLine_isTakenAndParsedAsPicocliParsesIt(String line) {
    String[] args = line.split(" ");

    Parsed.Run quick = QuickParser.parse(args, ENVIRONMENT);

    assertThat(quick).isNotNull();
    assertThat(quick).isEqualTo(new Parser(ENVIRONMENT).parseFully(args));
  }

  @ParameterizedTest
  @MethodSource("declined")
  void parse_otherCommandLine_isLeftToPicocli(String line) {
    String[] args = line.isEmpty() ? new String[0] : line.split(" ");

    assertThat(QuickParser.parse(args, ENVIRONMENT)).isNull();
  }

  @Test
  void parse_emptyWord_isLeftToPicocli() {
    assertThat(QuickParser.parse(new String[] {"pair", "laptop", ""}, ENVIRONMENT)).isNull();
    assertThat(QuickParser.parse(new String[] {"--socket", "", "status"}, ENVIRONMENT)).isNull();
  }

  @Test
  void parse_withoutSocketFlagOrVariable_usesTheDefaultAsPicocliDoes() {
    String[] args = {"status"};

    assertThat(QuickParser.parse(args, Map.of("PAIRD_SOCKET", "")))
        .isEqualTo(new Parser(Map.of()).parseFully(args));
  }

  @Test
  void parse_withPicocliTrimmingQuotes_isLeftToPicocli() {
    String before = System.setProperty("picocli.trimQuotes", "true");
    try {
      assertThat(QuickParser.parse(new String[] {"show", "\"9f86\""}, ENVIRONMENT)).isNull();
    } finally {
      if (before == null) {
        System.clearProperty("picocli.trimQuotes");
      } else {
        System.setProperty("picocli.trimQuotes", before);
      }
    }
    assertThat(QuickParser.parse(new String[] {"show", "\"9f86\""}, ENVIRONMENT)).isNotNull();
  }

  @Test
  void commands_areTheModelsCommands() {
    assertThat(Parser.COMMANDS)
        .containsExactlyInAnyOrderElementsOf(Parser.commands().subcommands().keySet());
  }
}
