package dev.paird.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

final class HostPortTest {
  private static final int DEFAULT_PORT = 7247;

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "laptop              | laptop       | 7247",
        "laptop:80           | laptop       | 80",
        "192.0.2.1:7247      | 192.0.2.1    | 7247",
        "192.0.2.1           | 192.0.2.1    | 7247",
        "[::1]               | ::1          | 7247",
        "[::1]:80            | ::1          | 80",
        "[fe80::1%eth0]:9    | fe80::1%eth0 | 9",
        "2001:db8::7         | 2001:db8::7  | 7247",
        "'  laptop:80  '     | laptop       | 80",
      })
  void parse_acceptedForms_splitHostAndPort(String value, String host, int port) {
    assertThat(HostPort.parse(value, DEFAULT_PORT)).isEqualTo(new HostPort(host, port));
  }

  @Test
  void parse_bareIpv6WithWhatLooksLikeAPort_isAllHost() {
    // Without brackets the last group of an IPv6 address cannot be told from a port.
    assertThat(HostPort.parse("2001:db8::7:80", DEFAULT_PORT))
        .isEqualTo(new HostPort("2001:db8::7:80", DEFAULT_PORT));
  }

  @ParameterizedTest(name = "port {0}")
  @ValueSource(ints = {1, 80, 65535})
  void parse_portInRange_isKept(int port) {
    assertThat(HostPort.parse("laptop:" + port, DEFAULT_PORT))
        .isEqualTo(new HostPort("laptop", port));
    assertThat(HostPort.parse("[::1]:" + port, DEFAULT_PORT)).isEqualTo(new HostPort("::1", port));
  }

  @ParameterizedTest(name = "port {0}")
  @ValueSource(
      strings = {"0", "65536", "99999", "100000", "-1", "+80", "8O", "0x50", " 80", "\u0668\u0660"})
  void parse_portOutOfRangeOrNotDigits_isNull(String port) {
    assertThat(HostPort.parse("laptop:" + port, DEFAULT_PORT)).isNull();
    assertThat(HostPort.parse("[::1]:" + port, DEFAULT_PORT)).isNull();
  }

  @Test
  void parse_portZero_isAcceptedOnlyWhereTheCallerAllowsIt() {
    assertThat(HostPort.parse("laptop:0", DEFAULT_PORT, 0)).isEqualTo(new HostPort("laptop", 0));
    assertThat(HostPort.parse("laptop:0", DEFAULT_PORT, 1)).isNull();
    assertThat(HostPort.parse("laptop:65536", DEFAULT_PORT, 0)).isNull();
  }

  @Test
  void parse_leadingZeros_areTheSamePort() {
    assertThat(HostPort.parse("laptop:00080", DEFAULT_PORT)).isEqualTo(new HostPort("laptop", 80));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"laptop:", "[::1]:", ":"})
  void parse_colonWithoutPort_isNull(String value) {
    assertThat(HostPort.parse(value, DEFAULT_PORT)).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"[::1", "[::1]80", "[::1]]:80", "[::1]x:80", "[ ::1 ]"})
  void parse_badBrackets_isNull(String value) {
    assertThat(HostPort.parse(value, DEFAULT_PORT)).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "lap top",
        "lap\ttop:80",
        "user@laptop",
        "laptop/24",
        "http://laptop",
        "\u001b[31mlaptop:80",
        "lap\u0001top"
      })
  void parse_garbageInTheHost_isNull(String value) {
    assertThat(HostPort.parse(value, DEFAULT_PORT)).isNull();
  }

  @Test
  void parse_null_isNull() {
    assertThat(HostPort.parse(null, DEFAULT_PORT)).isNull();
  }

  @Test
  void parse_noHost_isAnEmptyHostTheCallerJudges() {
    assertThat(HostPort.parse(":80", DEFAULT_PORT)).isEqualTo(new HostPort("", 80));
    assertThat(HostPort.parse("", DEFAULT_PORT)).isEqualTo(new HostPort("", DEFAULT_PORT));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"laptop:80", "192.0.2.1:7247", "[::1]:80", "[fe80::1%eth0]:9"})
  void toString_parsesBackToTheSameValue(String value) {
    HostPort parsed = HostPort.parse(value, DEFAULT_PORT);

    assertThat(parsed.toString()).isEqualTo(value);
    assertThat(HostPort.parse(parsed.toString(), DEFAULT_PORT)).isEqualTo(parsed);
  }

  @Test
  void toString_portZero_isLeftOut() {
    assertThat(new HostPort("::1", 0).toString()).isEqualTo("[::1]");
    assertThat(new HostPort("laptop", 0).toString()).isEqualTo("laptop");
  }
}
