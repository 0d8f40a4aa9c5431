package dev.paird.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

final class PairdConfigTest {

  private static PairdConfig parse(String text) throws PairdException {
    return PairdConfig.from(ConfigFile.parse(text, "test.conf"));
  }

  @Test
  void defaults_areTheDocumentedOnes() {
    PairdConfig config = PairdConfig.defaultConfig();

    assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/paird"));
    assertThat(config.socket()).isEqualTo(Path.of("/run/paird/control.sock"));
    assertThat(config.listen()).isEqualTo(new ListenAddress(Optional.empty(), 7247));
    assertThat(config.defaultSuite()).isEqualTo(Suite.SPAKE2);
    assertThat(config.keyLifetime()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.maxAttempts()).isEqualTo(3);
    assertThat(config.codeDigits()).isEqualTo(8);
    assertThat(config.cert()).isEmpty();
    assertThat(config.socketGroup()).isEmpty();
  }

  @Test
  void parse_fileWithCommentsAndBlankLines_setsValues() throws Exception {
    PairdConfig config =
        parse(
            String.join(
                "\n",
                "# paird test",
                "",
                "listen = 127.0.0.1:9000",
                "  key_lifetime=90s  ",
                "default_suite = HMAC",
                "socket_group = paird",
                "cert = /etc/paird/device.crt",
                "key = /etc/paird/device.key",
                "log_level = DEBUG"));

    assertThat(config.listen()).isEqualTo(new ListenAddress(Optional.of("127.0.0.1"), 9000));
    assertThat(config.keyLifetime()).isEqualTo(Duration.ofSeconds(90));
    assertThat(config.defaultSuite()).isEqualTo(Suite.HMAC);
    assertThat(config.socketGroup()).contains("paird");
    assertThat(config.cert()).contains(Path.of("/etc/paird/device.crt"));
    assertThat(config.logLevel()).isEqualTo("debug");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "listen = [::1]:7000 | [::1]:7000",
        "listen = *:7000     | *:7000",
        "listen = :7000      | *:7000",
        "listen = host.example:1 | host.example:1",
        "listen = 127.0.0.1:0    | 127.0.0.1:0",
      })
  void parse_listenForms(String line, String expected) throws Exception {
    assertThat(parse(line).listen().toString()).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "listen = 127.0.0.1           | listen",
        "listen = 127.0.0.1:-1        | listen",
        "listen = 127.0.0.1:65536     | listen",
        "key_lifetime = 10s           | from 30s to 1h",
        "key_lifetime = 2h            | from 30s to 1h",
        "key_lifetime = five minutes  | key_lifetime",
        "max_attempts = 0             | from 1 to 10",
        "max_attempts = 11            | from 1 to 10",
        "code_digits = 5              | from 6 to 10",
        "max_pending_keys = 101       | from 1 to 100",
        "max_pending_keys = ١٦        | from 1 to 100",
        "max_attempts = ３            | from 1 to 10",
        "key_lifetime = ５m           | from 30s to 1h",
        "listen = 127.0.0.1:٧٢٤٧    | listen",
        "listen = \u0007bell:7247    | listen",
        "default_suite = rsa          | hmac or spake2",
        "log_level = loud             | error, warn, info, debug, trace",
        "socket_group = 'wheel'       | group name",
      })
  void parse_badValue_namesTheKeyAndTheAllowedValues(String line, String expected) {
    assertThatThrownBy(() -> parse(line))
        .isInstanceOf(PairdException.class)
        .hasMessageContaining("test.conf:1")
        .hasMessageContaining(line.substring(0, line.indexOf(' ')))
        .hasMessageContaining(expected)
        .satisfies(
            e -> assertThat(((PairdException) e).code()).isEqualTo(ErrorCode.CONFIG_INVALID));
  }

  @Test
  void parse_unknownKey_listsTheKnownOnes() {
    assertThatThrownBy(() -> parse("\nlisten_port = 7000"))
        .hasMessageContaining("test.conf:2: unknown setting 'listen_port'")
        .hasMessageContaining("listen, cert, key");
  }

  @Test
  void parse_lineWithoutEquals_isRefused() {
    assertThatThrownBy(() -> parse("listen 127.0.0.1:7000"))
        .hasMessageContaining("test.conf:1: expected 'key = value'");
  }

  @Test
  void parse_keySetTwice_isRefused() {
    assertThatThrownBy(() -> parse("max_attempts = 3\nmax_attempts = 4"))
        .hasMessageContaining("test.conf:2: 'max_attempts' is already set at test.conf:1");
  }

  @Test
  void parse_certWithoutKey_isRefused() {
    assertThatThrownBy(() -> parse("cert = /a.pem"))
        .hasMessageContaining("'cert' is set but 'key' is not");
  }

  @Test
  void parse_socketPathTooLongForSunPath_isRefused() {
    assertThatThrownBy(() -> parse("socket = /" + "s".repeat(120)))
        .hasMessageContaining("longer than 107 bytes");
  }

  @Test
  void merge_flagsOverrideTheFile() throws Exception {
    Map<String, ConfigFile.Setting> file =
        ConfigFile.parse("listen = *:1000\nmax_attempts = 5", "f");
    Map<String, ConfigFile.Setting> flags =
        Map.of("listen", new ConfigFile.Setting("listen", "127.0.0.1:2000", "--listen"));

    PairdConfig config = PairdConfig.from(PairdConfig.merge(file, flags));

    assertThat(config.listen().toString()).isEqualTo("127.0.0.1:2000");
    assertThat(config.maxAttempts()).isEqualTo(5);
  }

  @Test
  void merge_badFlag_isReportedAsTheFlag() {
    Map<String, ConfigFile.Setting> flags =
        Map.of("listen", new ConfigFile.Setting("listen", "nowhere", "--listen"));

    assertThatThrownBy(() -> PairdConfig.from(PairdConfig.merge(Map.of(), flags)))
        .hasMessageStartingWith("--listen: listen = 'nowhere' is not valid");
  }

  @Test
  void environment_trustChangedFlag_isTheFileNamed() throws Exception {
    PairdConfig config =
        PairdConfig.from(
            Map.of(),
            Map.of(PairdConfig.TRUST_CHANGED_FLAG, "/var/lib/paird-trust-changed/pending/changed"));

    assertThat(config.trustChangedFlag())
        .contains(Path.of("/var/lib/paird-trust-changed/pending/changed"));
  }

  @Test
  void environment_trustChangedFlagUnsetOrEmpty_meansNoFlag() throws Exception {
    assertThat(PairdConfig.from(Map.of(), Map.of()).trustChangedFlag()).isEmpty();
    assertThat(
            PairdConfig.from(Map.of(), Map.of(PairdConfig.TRUST_CHANGED_FLAG, ""))
                .trustChangedFlag())
        .isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"pending/changed", "changed", "./changed", "/"})
  void environment_trustChangedFlagNotAnAbsoluteFilePath_isRefusedNamingTheVariable(String value) {
    assertThatThrownBy(
            () -> PairdConfig.from(Map.of(), Map.of(PairdConfig.TRUST_CHANGED_FLAG, value)))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_INVALID))
        .hasMessageContaining("PAIRD_TRUST_CHANGED_FLAG = '" + value + "' is not valid")
        .hasMessageContaining("absolute path");
  }

  @Test
  void read_missingOptionalFile_givesDefaults(@TempDir Path dir) throws Exception {
    assertThat(ConfigFile.read(dir.resolve("absent.conf"), false)).isEmpty();
  }

  @Test
  void read_missingRequiredFile_isRefused(@TempDir Path dir) {
    assertThatThrownBy(() -> ConfigFile.read(dir.resolve("absent.conf"), true))
        .hasMessageContaining("absent.conf does not exist");
  }

  @Test
  void read_emptyName_isRefusedAsSuch() {
    assertThatThrownBy(() -> ConfigFile.read(Path.of(""), true))
        .hasMessage(
            "the config file's name is empty; name a file, or leave out --config to use"
                + " /etc/paird/paird.conf");
  }

  @Test
  void read_unreadable_saysWhyWithoutRepeatingThePath(@TempDir Path dir) throws Exception {
    Path file = Files.createFile(dir.resolve("file")).resolve("paird.conf");

    assertThatThrownBy(() -> ConfigFile.read(file, true))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_INVALID))
        .hasMessageStartingWith("cannot read config file " + file + ": ")
        .hasMessageNotContaining(file + ": " + file);
  }

  @Test
  void parse_controlCharactersInKeyOrValue_areEscapedInTheMessage() {
    assertThatThrownBy(() -> parse("log_level = \u001b[2Jloud"))
        .hasMessage(
            "test.conf:1: log_level = '\\x1b[2Jloud' is not valid; allowed: error, warn, info,"
                + " debug, trace");
    assertThatThrownBy(() -> parse("max_attempts = \uff13"))
        .hasMessageContaining("max_attempts = '\\uff13' is not valid");
    assertThatThrownBy(() -> parse("\u001b]0;x\u0007 = 1"))
        .hasMessageStartingWith("test.conf:1: unknown setting '\\x1b]0;x\\x07'");
    assertThatThrownBy(() -> parse("a\u001b = 1\na\u001b = 2"))
        .hasMessageStartingWith("test.conf:2: 'a\\x1b' is already set at test.conf:1");
  }

  @Test
  void read_notUtf8_isRefused(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("latin1.conf");
    Files.write(file, "log_level = d\u00e9bug".getBytes(StandardCharsets.ISO_8859_1));

    assertThatThrownBy(() -> ConfigFile.read(file, true)).hasMessageContaining("is not UTF-8");
  }

  @Test
  void shippedConfig_documentsEverySettingAtItsDefault() throws Exception {
    Path shipped = Path.of(System.getProperty("user.dir")).resolve("../packaging/paird.conf");
    String text = Files.readString(shipped);
    assertThat(ConfigFile.parse(text, "paird.conf")).isEmpty();

    // Uncommenting every "# key = value" line must give exactly the built-in defaults.
    String uncommented =
        text.lines()
            .filter(line -> line.matches("# [a-z_]+ =.*"))
            .map(line -> line.substring(2))
            .reduce("", (a, b) -> a + b + "\n");
    Map<String, ConfigFile.Setting> settings = ConfigFile.parse(uncommented, "paird.conf");

    assertThat(settings.keySet()).containsExactlyInAnyOrderElementsOf(PairdConfig.KEYS.keySet());
    assertThat(PairdConfig.from(settings))
        .usingRecursiveComparison()
        .ignoringFields("origins")
        .isEqualTo(PairdConfig.defaultConfig());
  }
}
