export { appendCrc, checkCrc, crc16 } from "./crc16";
export { exceptionName } from "./pdu";
export { RtuMaster, type RtuMasterOptions } from "./rtu-master";
export { TransportStats } from "./stats";
export { ModbusTcpClient, type TcpClientOptions } from "./tcp-client";
export { charTimeMs, frameGapMs, rtuReadMs, rtuTransactionMs, rtuWriteMs } from "./timing";
export {
  FunctionCode,
  MAX_READ_REGISTERS,
  MAX_WRITE_REGISTERS,
  ModbusTransaction,
  TxStatus,
  type ModbusListener,
  type ModbusTransport,
} from "./transaction";
