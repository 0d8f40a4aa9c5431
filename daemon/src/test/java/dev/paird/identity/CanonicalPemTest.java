package dev.paird.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.testing.TestIdentities;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class CanonicalPemTest {
  @Test
  void ecKey_asPairdWritesIt_isReadByTheJdk_asTheGeneralReaderReadsIt() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    String text = pemText("PRIVATE KEY", generator.generateKeyPair().getPrivate().getEncoded());

    assertSameKey(CanonicalPem.block(text), text);
  }

  @Test
  void rsaKey_asPairdWritesIt_isReadByTheJdk_asTheGeneralReaderReadsIt() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    String text = pemText("PRIVATE KEY", generator.generateKeyPair().getPrivate().getEncoded());

    assertSameKey(CanonicalPem.block(text), text);
  }

  @Test
  void certificate_asPairdWritesIt_isReadByTheJdk(@TempDir Path dir) throws Exception {
    String text = Certificates.toPem(TestIdentities.server(dir).certificate());

    assertThat(CanonicalPem.block(text)).isEqualTo(PemBlocks.read(text).get(0));
  }

  @Test
  void keyOfAnotherAlgorithm_isLeftToTheGeneralReader() throws Exception {
    String text =
        pemText(
            "PRIVATE KEY",
            KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded());

    assertThat(CanonicalPem.block(text)).isNull();
  }

  @Test
  void textNotExactlyAsPairdWritesIt_isLeftToTheGeneralReader() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    String text = pemText("PRIVATE KEY", generator.generateKeyPair().getPrivate().getEncoded());

    for (String other :
        List.of(
            text.replace("\n", "\r\n"),
            "# the device's key\n" + text,
            text + "\n",
            text.replace("-----\n", "-----\n "),
            text.replace("PRIVATE KEY", "EC PRIVATE KEY"),
            text.substring(0, text.length() - 1))) {
      assertThat(CanonicalPem.block(other)).as(other).isNull();
    }
  }

  @Test
  void nonBase64InTheBody_isLeftToTheGeneralReader() {
    String text = "-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n";

    assertThat(CanonicalPem.block(text)).isNull();
  }

  private static void assertSameKey(PemBlock block, String text) throws Exception {
    assertThat(block).isInstanceOf(PemBlock.Key.class);
    PrivateKey fast = ((PemBlock.Key) block).key();
    PrivateKey general = ((PemBlock.Key) PemBlocks.read(text).get(0)).key();
    assertThat(fast.getAlgorithm()).isEqualTo(general.getAlgorithm());
    assertThat(fast.getClass()).isEqualTo(general.getClass());
    assertThat(fast.getEncoded()).isEqualTo(general.getEncoded());
  }

  private static String pemText(String label, byte[] der) {
    return new String(Certificates.pem(label, der), StandardCharsets.US_ASCII);
  }
}
