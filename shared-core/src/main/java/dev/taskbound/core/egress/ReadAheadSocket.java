package dev.taskbound.core.egress;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * The upstream TCP socket of an inspected connection, read ahead: the JDK's {@code SSLSocket}
 * layered over it reads each TLS record's 5-byte header and then its body, two system calls per
 * record on a plain socket; through this one, one read brings up to 64 KiB, several records. Only
 * the layered {@code SSLSocket} reads it.
 */
final class ReadAheadSocket extends Socket {
  private static final int READ_AHEAD = 64 * 1024;
  private InputStream in;

  @Override
  public synchronized InputStream getInputStream() throws IOException {
    if (in == null) {
      in = new BufferedInputStream(super.getInputStream(), READ_AHEAD);
    }
    return in;
  }
}
