const device = {
  Serial: { rs485: { port: 2, transmit: 17, receive: 16, driverEnable: 4 } },
  pin: { led: 2 } as Record<string, number | undefined>,
};

export default device;
