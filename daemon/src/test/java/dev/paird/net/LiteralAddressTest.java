package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class LiteralAddressTest {
  @Test
  void literalAddress_ipv4AndIpv6_needNoLookup() throws Exception {
    assertThat(NettyPairingClient.literalAddress("192.0.2.7"))
        .contains(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 7}));
    byte[] loopback6 = new byte[16];
    loopback6[15] = 1;
    assertThat(NettyPairingClient.literalAddress("::1"))
        .contains(InetAddress.getByAddress(loopback6));
    byte[] documentation6 = new byte[16];
    documentation6[0] = 0x20;
    documentation6[1] = 0x01;
    documentation6[2] = 0x0d;
    documentation6[3] = (byte) 0xb8;
    documentation6[15] = 5;
    assertThat(NettyPairingClient.literalAddress("2001:db8::5"))
        .contains(InetAddress.getByAddress(documentation6));
  }

  @Test
  void literalAddress_namesScopedAndOldForms_goToTheResolver() {
    assertThat(NettyPairingClient.literalAddress("paird-a")).isEmpty();
    assertThat(NettyPairingClient.literalAddress("fe80::1%eth0")).isEmpty();
    assertThat(NettyPairingClient.literalAddress("10.1")).isEmpty();
    assertThat(NettyPairingClient.literalAddress("256.1.1.1")).isEmpty();
  }
}
