package dev.taskbound.core.egress;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.SafeText;
import dev.taskbound.core.TaskboundException;

/** An egress rule or host name that does not parse. The message quotes it and lists the accepted forms. */
public final class EgressRuleException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  public EgressRuleException(String message) {
    super(SafeText.line(message));
  }

  @Override
  public int exitCode() {
    return ExitCodes.POLICY;
  }
}
