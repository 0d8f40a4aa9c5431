package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlRequest;
import dev.paird.api.Suite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

final class ParserTest {
  private static final Parser PARSER = new Parser(Map.of());

  private static Parsed.Run run(String... args) {
    Parsed parsed = PARSER.parse(args);
    assertThat(parsed).isInstanceOf(Parsed.Run.class);
    return (Parsed.Run) parsed;
  }

  private static Parsed.Usage usage(String... args) {
    Parsed parsed = PARSER.parse(args);
    assertThat(parsed).isInstanceOf(Parsed.Usage.class);
    return (Parsed.Usage) parsed;
  }

  /**
   * The hints point at options (the one for an ambiguous prefix at list-trusted --full), so each
   * must be where a user looks: in pairctl(1) and in the shell's completion for its command.
   */
  @Test
  void everyOptionOfACommand_isInTheManPageAndItsCompletion() throws Exception {
    Path packaging = Path.of(System.getProperty("user.dir")).resolve("../packaging");
    String man = Files.readString(packaging.resolve("man/pairctl.1")).replace("\\-", "-");
    String completion = Files.readString(packaging.resolve("completion/pairctl"));
    for (CommandSpec command :
        Parser.commands().subcommands().values().stream()
            .map(CommandLine::getCommandSpec)
            .toList()) {
      for (OptionSpec option : command.options()) {
        String name = option.longestName();
        if (option.usageHelp() || option.inherited()) {
          continue;
        }
        assertThat(man).as("pairctl.1 on %s %s", command.name(), name).contains(name);
        assertThat(completion)
            .as("completion of %s", command.name())
            .containsPattern("(?m)^ +" + command.name() + "\\) options=\"[^\"]*" + name + "[ \"]");
      }
    }
  }

  @Test
  void parse_status_usesDefaultSocketAndText() {
    Parsed.Run run = run("status");

    assertThat(run.request()).isEqualTo(new Request.Send(new ControlRequest.Status()));
    assertThat(run.socket()).isEqualTo(Path.of(ControlProtocol.DEFAULT_SOCKET));
    assertThat(run.json()).isFalse();
  }

  @Test
  void parse_socketFromEnvironment() {
    Parser parser = new Parser(Map.of("PAIRD_SOCKET", "/tmp/env.sock"));

    assertThat(((Parsed.Run) parser.parse("status")).socket()).isEqualTo(Path.of("/tmp/env.sock"));
  }

  @Test
  void parse_emptySocketVariable_isIgnored() {
    Parser parser = new Parser(Map.of("PAIRD_SOCKET", ""));

    assertThat(((Parsed.Run) parser.parse("status")).socket())
        .isEqualTo(Path.of(ControlProtocol.DEFAULT_SOCKET));
  }

  @Test
  void parse_socketFlag_winsOverEnvironment() {
    Parser parser = new Parser(Map.of("PAIRD_SOCKET", "/tmp/env.sock"));

    Parsed.Run run = (Parsed.Run) parser.parse("--socket", "/tmp/flag.sock", "status");

    assertThat(run.socket()).isEqualTo(Path.of("/tmp/flag.sock"));
  }

  @Test
  void parse_globalOptionsAfterTheCommand_areAccepted() {
    Parsed.Run run = run("list-keys", "--json", "--socket=/tmp/after.sock");

    assertThat(run.json()).isTrue();
    assertThat(run.socket()).isEqualTo(Path.of("/tmp/after.sock"));
  }

  @Test
  void parse_jsonBeforeTheCommand() {
    assertThat(run("--json", "status").json()).isTrue();
  }

  @Test
  void parse_emptySocketFlag_isUsageError() {
    Parsed.Usage usage = usage("--socket", "", "status");

    assertThat(usage.message()).isEqualTo("--socket must not be empty");
    assertThat(usage.helpCommand()).isEqualTo("pairctl");
  }

  @Test
  void parse_newKey_withoutOptions_leavesSuiteAndLifetimeToPaird() {
    assertThat(run("new-key").request())
        .isEqualTo(
            new Request.NewKey(
                new ControlRequest.NewKey(Optional.empty(), Optional.empty()), false));
  }

  @Test
  void parse_newKey_withEveryOption() {
    assertThat(run("new-key", "--suite", "hmac", "--ttl", "90s", "--wait").request())
        .isEqualTo(
            new Request.NewKey(
                new ControlRequest.NewKey(
                    Optional.of(Suite.HMAC), Optional.of(Duration.ofSeconds(90))),
                true));
  }

  @ParameterizedTest
  @CsvSource({"30, PT30S", "90s, PT1M30S", "5m, PT5M", "1h, PT1H", "60M, PT1H", "3600, PT1H"})
  void parse_newKey_ttlForms(String ttl, Duration expected) {
    Request.NewKey request = (Request.NewKey) run("new-key", "--ttl=" + ttl).request();

    assertThat(request.control().lifetime()).contains(expected);
  }

  @ParameterizedTest
  @CsvSource({"29s, 29s", "2h, 2h", "3601, 3601s", "0, 0s"})
  void parse_newKey_ttlOutOfBounds_isUsageError(String ttl, String shown) {
    Parsed.Usage usage = usage("new-key", "--ttl", ttl);

    assertThat(usage.message()).isEqualTo("--ttl must be from 30s to 1h, not " + shown);
    assertThat(usage.helpCommand()).isEqualTo("pairctl new-key");
  }

  @ParameterizedTest
  @ValueSource(strings = {"5x", "", "-5m", "1.5h", "m", "5 m"})
  void parse_newKey_ttlThatIsNoDuration_isUsageError(String ttl) {
    assertThat(usage("new-key", "--ttl", ttl).message())
        .startsWith("--ttl takes a duration such as 90s, 5m or 1h (30s to 1h)");
  }

  @Test
  void parse_newKey_unknownSuite_isUsageError() {
    assertThat(usage("new-key", "--suite", "rot13").message())
        .isEqualTo("--suite must be spake2 or hmac, not 'rot13'");
  }

  @Test
  void parse_newKey_suiteIgnoresCase() {
    assertThat(((Request.NewKey) run("new-key", "--suite", "SPAKE2").request()).control().suite())
        .contains(Suite.SPAKE2);
  }

  @Test
  void parse_pair_hostKeyAndLabel() {
    Request request =
        run("pair", "laptop.local:7000", "42-3141-5926-0", "--label", "my laptop").request();

    assertThat(request)
        .isEqualTo(
            new Request.Pair(
                new ControlRequest.Pair("laptop.local:7000", Optional.of("my laptop")),
                new Request.KeySource.Argument("42-3141-5926-0")));
  }

  @Test
  void parse_pair_keyWithSpacesInOneArgument_isKeptAsTyped() {
    Request.Pair pair = (Request.Pair) run("pair", "[::1]:7000", "42 1234 5678 9").request();

    assertThat(pair.key()).isEqualTo(new Request.KeySource.Argument("42 1234 5678 9"));
    assertThat(pair.control().label()).isEmpty();
  }

  @Test
  void parse_pairWithoutKey_asksForIt() {
    Request.Pair pair = (Request.Pair) run("pair", "laptop", "--label", "work").request();

    assertThat(pair.key()).isEqualTo(new Request.KeySource.Ask());
    assertThat(pair.control().host()).isEqualTo("laptop");
    assertThat(pair.control().label()).contains("work");
  }

  @Test
  void parse_pairWithKeyFile_readsItThere() {
    Request.Pair pair = (Request.Pair) run("pair", "laptop", "--key-file", "/run/k").request();

    assertThat(pair.key()).isEqualTo(new Request.KeySource.File(Path.of("/run/k")));
  }

  @Test
  void parse_pairWithKeyAndKeyFile_isUsageErrorThatDoesNotEchoTheKey() {
    Parsed.Usage usage = usage("pair", "laptop", "42-3141-5926-0", "--key-file", "/run/k");

    assertThat(usage.message())
        .isEqualTo("pair takes the key either as KEY or from --key-file, not both");
    assertThat(usage.helpCommand()).isEqualTo("pairctl pair");
  }

  @Test
  void parse_pairWithEmptyKeyFile_isUsageError() {
    assertThat(usage("pair", "laptop", "--key-file", "").message())
        .isEqualTo("--key-file must not be empty");
  }

  @Test
  void parse_pairWithoutHost_isUsageErrorNamingTheParameter() {
    Parsed.Usage usage = usage("pair");

    assertThat(usage.message()).isEqualTo("pair needs HOST[:PORT]");
    assertThat(usage.helpCommand()).isEqualTo("pairctl pair");
  }

  @Test
  void parse_usageErrorsPicocliFinds_areSaidInPairctlsWords() {
    assertThat(usage("remove", "--bogus", "9f86").message())
        .isEqualTo("remove has no option '--bogus'");
    assertThat(usage("--bogus", "status").message()).isEqualTo("pairctl has no option '--bogus'");
    assertThat(usage("pair", "laptop", "--label").message())
        .isEqualTo("--label needs a value, TEXT");
    assertThat(usage("pair", "laptop", "--label", "a", "--label", "b").message())
        .isEqualTo("--label is given more than once");
    assertThat(usage("cancel-key").message()).isEqualTo("cancel-key needs ID");
  }

  @Test
  void parse_pairWithKeyInSeveralWords_isUsageErrorThatDoesNotEchoTheKey() {
    Parsed.Usage usage = usage("pair", "laptop", "17", "2468", "1357", "3");

    assertThat(usage.message())
        .startsWith(
            "pair takes HOST and at most KEY, and got 3 more words; leave KEY out to be"
                + " asked for it")
        .doesNotContain("2468")
        .doesNotContain("1357");
  }

  @Test
  void parse_pair_toStringAndArgsHideTheKey() {
    Request request = run("pair", "laptop", "42-3141-5926-0").request();

    assertThat(request.toString()).doesNotContain("1234").contains("redacted");
    assertThat(request.args().toString()).doesNotContain("1234");
  }

  @Test
  void parse_atArgument_isNotReadAsAFile() {
    Request.Pair pair = (Request.Pair) run("pair", "@laptop", "42-3141-5926-0").request();

    assertThat(pair.control().host()).isEqualTo("@laptop");
  }

  @Test
  void parse_listTrusted_shortOrFull() {
    assertThat(run("list-trusted").request()).isEqualTo(new Request.ListTrusted(false));
    assertThat(run("list-trusted", "--full").request()).isEqualTo(new Request.ListTrusted(true));
  }

  @Test
  void parse_show_takesAFingerprintAndOptionallyPem() {
    assertThat(run("show", "9f86").request()).isEqualTo(new Request.Show("9f86", false));
    assertThat(run("show", "--pem", "9f86").request()).isEqualTo(new Request.Show("9f86", true));
    assertThat(run("show", "9f86").request().args().toString())
        .isEqualTo("{\"fingerprint\":\"9f86\"}");
  }

  @Test
  void parse_remove_takesAFingerprint() {
    assertThat(run("remove", "9f86:d0").request())
        .isEqualTo(new Request.Send(new ControlRequest.Remove("9f86:d0")));
  }

  @Test
  void parse_removeWithoutFingerprint_isUsageErrorNamingTheParameter() {
    Parsed.Usage usage = usage("remove");

    assertThat(usage.message()).contains("FINGERPRINT");
    assertThat(usage.helpCommand()).isEqualTo("pairctl remove");
  }

  @Test
  void parse_listKeys() {
    assertThat(run("list-keys").request())
        .isEqualTo(new Request.Send(new ControlRequest.ListKeys()));
  }

  @Test
  void parse_cancelKey_takesAnId() {
    assertThat(run("cancel-key", "42").request())
        .isEqualTo(new Request.Send(new ControlRequest.CancelKey("42")));
  }

  @Test
  void parse_cancelKeyWithoutId_isUsageErrorNamingTheParameter() {
    Parsed.Usage usage = usage("cancel-key");

    assertThat(usage.message()).contains("ID");
    assertThat(usage.helpCommand()).isEqualTo("pairctl cancel-key");
  }

  @Test
  void parse_ping_takesAHost() {
    assertThat(run("ping", "kitchen-pi").request())
        .isEqualTo(new Request.Send(new ControlRequest.Ping("kitchen-pi")));
  }

  @Test
  void parse_unknownCommand_isUsageErrorListingTheCommands() {
    Parsed.Usage usage = usage("frobnicate");

    assertThat(usage.message())
        .isEqualTo(
            "unknown command 'frobnicate'; the commands are new-key,"
                + " pair, list-trusted, show, remove, status, list-keys, cancel-key, ping");
    assertThat(usage.helpCommand()).isEqualTo("pairctl");
  }

  @Test
  void parse_unknownOption_isUsageErrorOfItsCommand() {
    Parsed.Usage usage = usage("status", "--frob");

    assertThat(usage.message()).contains("--frob");
    assertThat(usage.helpCommand()).isEqualTo("pairctl status");
  }

  @Test
  void parse_extraArgument_isUsageError() {
    assertThat(usage("status", "now").message()).contains("'now'");
  }

  @Test
  void parse_noCommand_isUsageError() {
    assertThat(usage().message()).startsWith("no command given; the commands are new-key, pair,");
  }

  @Test
  void parse_usageErrorWithJson_isMarkedForJson() {
    assertThat(usage("--json", "new-key", "--ttl", "2h").json()).isTrue();
    assertThat(usage("new-key", "--ttl", "2h").json()).isFalse();
  }

  @Test
  void parse_help_listsCommandsAndExitStatus() {
    Parsed parsed = PARSER.parse("--help");

    assertThat(parsed).isInstanceOf(Parsed.Show.class);
    String help = ((Parsed.Show) parsed).text();
    assertThat(help)
        .contains(
            "Usage: pairctl",
            "new-key",
            "list-trusted",
            "cancel-key",
            "ping",
            "Exit status:",
            "  3  paird is not running",
            "  7  not found");
  }

  @Test
  void parse_commandHelp_describesItsOptions() {
    String help = ((Parsed.Show) PARSER.parse("new-key", "--help")).text();

    assertThat(help)
        .contains(
            "Usage: pairctl new-key",
            "--ttl=DURATION",
            "--suite=SUITE",
            "--wait",
            "from 30s to 1h");
  }

  @Test
  void parse_version_namesTheRelease() {
    assertThat(((Parsed.Show) PARSER.parse("--version")).text()).startsWith("pairctl ");
  }
}
