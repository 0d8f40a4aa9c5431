package dev.paird.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * The unit that per-source limits count: an IPv4 address, or the /64 of an IPv6 address, since one
 * IPv6 host commonly holds a whole /64. {@code ::ffff:a.b.c.d} is the IPv4 host a.b.c.d.
 */
final class SourceAddress {
  private final byte[] prefix;

  private SourceAddress(byte[] prefix) {
    this.prefix = prefix;
  }

  static SourceAddress of(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (!(address instanceof Inet6Address)) {
      return new SourceAddress(bytes);
    }
    return new SourceAddress(
        isMappedV4(bytes) ? Arrays.copyOfRange(bytes, 12, 16) : Arrays.copyOf(bytes, 8));
  }

  private static boolean isMappedV4(byte[] bytes) {
    for (int i = 0; i < 10; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SourceAddress s && Arrays.equals(s.prefix, prefix);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(prefix);
  }
}
