import LocateCore
