package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

final class CaPathDirectoryTest {
  /** {@code openssl rehash}'s names for certificates, as a regular expression says them. */
  private static final Pattern HASH_NAME = Pattern.compile("[0-9a-f]{8}\\.[0-9]+");

  @Test
  void isHashName_isTheRegularExpressionsAnswer() {
    List<String> names =
        List.of(
            "0badc0de.0",
            "0badc0de.12",
            "ffffffff.9",
            "0badc0de.",
            "0badc0de",
            "0BADC0DE.0",
            "0badc0dg.0",
            "0badc0de.r0",
            "0badc0de.0 ",
            "0badc0d.0",
            "0badc0de0.0",
            ".0badc0de.0.tmp-123",
            "0badc0de.0.tmp-123",
            "0badc0de.\u0660",
            "",
            "trusted.pem");
    for (String name : names) {
      assertThat(CaPathDirectory.isHashName(name))
          .as(name)
          .isEqualTo(HASH_NAME.matcher(name).matches());
    }
    assertThat(names.stream().filter(CaPathDirectory::isHashName)).hasSize(3);
  }
}
